#include "cli/args.h"

namespace kcau::cli {

namespace {

const FlagDef* FindLong(const std::vector<FlagDef>& defs, const std::string& name) {
  for (const FlagDef& d : defs) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const FlagDef* FindShort(const std::vector<FlagDef>& defs, char c) {
  for (const FlagDef& d : defs) {
    if (d.short_name != 0 && d.short_name == c) return &d;
  }
  return nullptr;
}

}  // namespace

bool ParsedArgs::Has(const std::string& name) const { return Last(name).has_value(); }

std::optional<std::string> ParsedArgs::Last(const std::string& name) const {
  std::optional<std::string> last;
  for (const ParsedFlag& f : flags) {
    if (f.name == name) last = f.value;
  }
  return last;
}

std::vector<std::string> ParsedArgs::All(const std::string& name) const {
  std::vector<std::string> all;
  for (const ParsedFlag& f : flags) {
    if (f.name == name) all.push_back(f.value);
  }
  return all;
}

StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                               const std::vector<FlagDef>& defs) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.positionals.insert(parsed.positionals.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      parsed.positionals.push_back(arg);
      continue;
    }
    const FlagDef* def = nullptr;
    std::optional<std::string> inline_value;
    std::string spelled;
    if (arg[1] == '-') {
      const size_t eq = arg.find('=');
      spelled = arg.substr(0, eq);
      def = FindLong(defs, arg.substr(2, eq == std::string::npos ? eq : eq - 2));
      if (eq != std::string::npos) inline_value = arg.substr(eq + 1);
    } else {
      spelled = arg.substr(0, 2);
      def = FindShort(defs, arg[1]);
      if (arg.size() > 2) inline_value = arg.substr(arg[2] == '=' ? 3 : 2);
    }
    if (def == nullptr) return InvalidArgumentError("unknown flag " + spelled);
    if (def->switch_) {
      parsed.flags.push_back({def->name, inline_value.value_or("true")});
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) return InvalidArgumentError("flag " + spelled + " needs a value");
      inline_value = args[++i];
    }
    parsed.flags.push_back({def->name, *inline_value});
  }
  return parsed;
}

}  // namespace kcau::cli
