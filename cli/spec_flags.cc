#include "cli/spec_flags.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "cli/selector_text.h"
#include "crd/spec_objects.h"
#include "crd/updaterun_codec.h"
#include "crd/validation.h"
#include "crd/yaml_json.h"

namespace kcau::cli {

namespace {

using web::json::value;

// The cmdlet's switches that each select one value of an enum field.
struct EnumSwitch {
  const char* parameter;
  const char* value;
};
constexpr EnumSwitch kEnumSwitches[] = {{"ForcePauseNoDrain", "Skip"},
                                        {"ForcePauseAndDrain", "Force"}};

std::vector<std::string> SplitParameters(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string part = text.substr(start, comma - start);
    part.erase(0, part.find_first_not_of(' '));
    if (!part.empty()) out.push_back(part);
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  for (std::string part : SplitParameters(text)) {
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// A switch's explicit value (--what-if=false), read as YAML 1.1 reads booleans.
std::optional<bool> Boolean(const std::string& text) {
  const std::string t = Lower(text);
  if (t == "true" || t == "yes" || t == "on" || t == "y") return true;
  if (t == "false" || t == "no" || t == "off" || t == "n") return false;
  return std::nullopt;
}

std::vector<SpecFlag> BuildFlags() {
  std::vector<SpecFlag> flags;
  for (const crd::SpecField& field : crd::SpecFields()) {
    const std::vector<std::string> params = SplitParameters(field.cmdlet_parameter);
    const bool own_name =
        field.kcau_own || params.empty() || field.cmdlet_parameter.find('-') != std::string::npos;
    if (own_name) {
      flags.push_back({KebabCase(field.json_name), &field, SpecFlag::Form::kValue, ""});
      continue;
    }
    if (field.json_name == "plugins" && params.size() == 2) {
      flags.push_back({KebabCase(params[0]), &field, SpecFlag::Form::kPluginName, ""});
      flags.push_back({KebabCase(params[1]), &field, SpecFlag::Form::kPluginArguments, ""});
      continue;
    }
    if (params.size() == 1) {
      flags.push_back({KebabCase(params[0]), &field, SpecFlag::Form::kValue, ""});
      continue;
    }
    for (const std::string& p : params) {
      for (const EnumSwitch& s : kEnumSwitches) {
        if (p == s.parameter && field.kind == crd::FieldKind::kEnum) {
          flags.push_back({KebabCase(p), &field, SpecFlag::Form::kEnumSwitch, s.value});
        }
      }
    }
    flags.push_back({KebabCase(field.json_name), &field, SpecFlag::Form::kValue, ""});
  }
  return flags;
}

Status FlagError(const SpecFlag& flag, const std::string& problem) {
  return InvalidArgumentError("--" + flag.name + ": " + problem);
}

StatusOr<value> YamlObject(const SpecFlag& flag, const std::string& text, bool list) {
  auto parsed = crd::YamlToJson(text);
  if (!parsed.ok()) return FlagError(flag, parsed.status().message());
  if (list ? !parsed->is_array() : !parsed->is_object()) {
    return FlagError(flag, list ? "expected a YAML list such as [{name: x}]"
                                : "expected a YAML object such as {key: value}");
  }
  return *parsed;
}

// An object field's compact form, where it has one.
StatusOr<value> CompactObject(const SpecFlag& flag, const std::string& text) {
  const std::string& json_name = flag.field->json_name;
  if (json_name == "nodeSelector") {
    auto selector = SelectorFromText(text);
    if (!selector.ok()) return FlagError(flag, selector.status().message());
    return crd::EncodeSelector(*selector);
  }
  if (json_name == "preUpdateHook" || json_name == "postUpdateHook") {
    const size_t slash = text.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) {
      return FlagError(flag, "expected CONFIGMAP/KEY (the ConfigMap holding the script and its " +
                                 std::string("key), or YAML {configMap: x, key: y}; got \"") +
                                 text + "\"");
    }
    value hook = value::object();
    hook["configMap"] = value::string(text.substr(0, slash));
    hook["key"] = value::string(text.substr(slash + 1));
    return hook;
  }
  if (json_name == "hookRunner") {
    value runner = value::object();
    runner["serviceAccountName"] = value::string(text);
    return runner;
  }
  return FlagError(flag, "expected a YAML object such as {key: value}, got \"" + text + "\"");
}

StatusOr<value> FlagValue(const SpecFlag& flag, const std::string& text) {
  const crd::SpecField& field = *flag.field;
  switch (field.kind) {
    case crd::FieldKind::kBoolean: {
      const std::optional<bool> b = Boolean(text);
      if (!b) return FlagError(flag, "expected true or false, got \"" + text + "\"");
      return value::boolean(*b);
    }
    case crd::FieldKind::kInteger: {
      size_t used = 0;
      try {
        const long long n = std::stoll(text, &used);
        if (used == text.size()) return value::number(static_cast<int64_t>(n));
      } catch (const std::exception&) {
      }
      return FlagError(flag, "expected an integer, got \"" + text + "\"");
    }
    case crd::FieldKind::kDuration:
      return value::string(text);  // its format is checked by the decoder, naming the flag
    case crd::FieldKind::kEnum: {
      for (const std::string& name : field.enum_names) {
        if (Lower(name) == Lower(text)) return value::string(name);
      }
      std::string names;
      for (const std::string& name : field.enum_names) names += (names.empty() ? "" : ", ") + name;
      return FlagError(flag, "expected one of " + names + "; got \"" + text + "\"");
    }
    case crd::FieldKind::kStringList: {
      value list = value::array();
      size_t i = 0;
      for (const std::string& item : SplitCommas(text)) list[i++] = value::string(item);
      return list;
    }
    case crd::FieldKind::kIntOrPercent: {
      const bool percent = !text.empty() && text.back() == '%';
      const std::string digits = percent ? text.substr(0, text.size() - 1) : text;
      if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit) ||
          digits.size() > 9) {
        return FlagError(
            flag, "expected a number or a percentage (\"2\", \"25%\"), got \"" + text + "\"");
      }
      if (percent) return value::string(text);
      return value::number(std::stoi(digits));
    }
    case crd::FieldKind::kObject:
      if (!text.empty() && text[0] == '{') return YamlObject(flag, text, false);
      return CompactObject(flag, text);
    case crd::FieldKind::kObjectList:
      return YamlObject(flag, text, true);
  }
  return FlagError(flag, "unsupported kind");
}

// "securityOnly=true,exclude=a,b" -> {securityOnly: true, exclude: "a,b"}: a part without
// '=' continues the previous value, so a value may itself hold commas.
StatusOr<value> PluginArguments(const SpecFlag& flag, const std::string& text) {
  value args = value::object();
  std::string last_key;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string part = text.substr(start, comma - start);
    const size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0) {
      if (last_key.empty()) {
        return FlagError(flag, "expected key=value[,key=value...], got \"" + text + "\"");
      }
      args[last_key] = value::string(args[last_key].as_string() + "," + part);
    } else {
      last_key = part.substr(0, eq);
      args[last_key] = value::string(part.substr(eq + 1));
    }
    start = comma + 1;
  }
  return args;
}

// The JSON name of the top-level spec field an error's path ("spec.plugins[0].name: ...")
// is about.
std::string TopField(const std::string& path) {
  if (path.rfind("spec.", 0) != 0) return "";
  const std::string rest = path.substr(5);
  return rest.substr(0, rest.find_first_of(".[: "));
}

std::string Named(const SpecInput& input, const std::string& path, const std::string& problem) {
  auto who = input.origin.find(TopField(path));
  const std::string prefix = who == input.origin.end() ? "" : who->second + ": ";
  return prefix + path + ": " + problem;
}

}  // namespace

bool SpecFlag::is_switch() const {
  return form == Form::kEnumSwitch ||
         (form == Form::kValue && field->kind == crd::FieldKind::kBoolean);
}

std::string SpecFlag::ValueHelp() const {
  if (is_switch()) return "";
  if (form == Form::kPluginName) return "NAME";
  if (form == Form::kPluginArguments) return "KEY=VALUE,...";
  if (field->kind == crd::FieldKind::kEnum) {
    std::string names;
    for (const auto& n : field->enum_names) names += (names.empty() ? "" : "|") + n;
    return names;
  }
  if (field->json_name == "nodeSelector") return "SELECTOR";
  if (field->json_name == "preUpdateHook" || field->json_name == "postUpdateHook") {
    return "CONFIGMAP/KEY";
  }
  if (field->json_name == "hookRunner") return "SERVICEACCOUNT";
  if (field->kind == crd::FieldKind::kObject) return "YAML {...}";
  if (field->kind == crd::FieldKind::kObjectList) return "YAML [...]";
  return crd::FieldKindName(field->kind);
}

std::string KebabCase(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (std::isupper(c)) {
      if (i > 0) out += '-';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

const std::vector<SpecFlag>& SpecFlags() {
  static const std::vector<SpecFlag> flags = BuildFlags();
  return flags;
}

const SpecFlag* FindSpecFlag(const std::string& name) {
  for (const SpecFlag& flag : SpecFlags()) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::vector<FlagDef> SpecFlagDefs() {
  std::vector<FlagDef> defs;
  for (const SpecFlag& flag : SpecFlags()) defs.push_back({flag.name, 0, flag.is_switch()});
  return defs;
}

StatusOr<SpecInput> SpecFromFlags(const ParsedArgs& args, SpecInput input,
                                  const std::set<std::string>& allowed) {
  value& spec = input.spec;
  std::vector<value> plugins;  // from --cau-plugin-name / --cau-plugin-arguments, in order
  bool plugin_flags = false;
  std::set<std::string> set_by_flag;  // json names
  for (const ParsedFlag& given : args.flags) {
    const SpecFlag* flag = FindSpecFlag(given.name);
    if (flag == nullptr) continue;
    const std::string& json_name = flag->field->json_name;
    if (!allowed.empty() && !allowed.count(json_name)) {
      return FlagError(*flag, "does not apply here");
    }
    // A list given by a flag before grows with each repetition; otherwise a flag replaces
    // what the file said, and a later flag what an earlier one said.
    const bool add_to_list = set_by_flag.count(json_name) > 0;
    if (!set_by_flag.count(json_name)) input.origin[json_name] = "--" + flag->name;
    set_by_flag.insert(json_name);
    switch (flag->form) {
      case SpecFlag::Form::kValue: {
        auto v = FlagValue(*flag, given.value);
        if (!v.ok()) return v.status();
        if (flag->field->kind == crd::FieldKind::kStringList && add_to_list &&
            spec.has_array_field(json_name)) {
          value& list = spec[json_name];
          for (const value& item : v->as_array()) list[list.size()] = item;
        } else {
          spec[json_name] = *v;
        }
        break;
      }
      case SpecFlag::Form::kEnumSwitch: {
        const std::optional<bool> on = Boolean(given.value);
        if (!on) return FlagError(*flag, "expected true or false, got \"" + given.value + "\"");
        if (*on) spec[json_name] = value::string(flag->enum_value);
        break;
      }
      case SpecFlag::Form::kPluginName:
        plugin_flags = true;
        for (const std::string& name : SplitCommas(given.value)) {
          value plugin = value::object();
          plugin["name"] = value::string(name);
          plugins.push_back(plugin);
        }
        break;
      case SpecFlag::Form::kPluginArguments: {
        plugin_flags = true;
        auto arguments = PluginArguments(*flag, given.value);
        if (!arguments.ok()) return arguments.status();
        // As the cmdlet: arguments without a plug-in name go to the default plug-in.
        if (plugins.empty()) {
          value plugin = value::object();
          plugin["name"] = value::string(crd::kDefaultPlugin);
          plugins.push_back(plugin);
        }
        value& last = plugins.back();
        if (last.has_field("arguments")) {
          return FlagError(*flag, "given twice for plug-in " + last["name"].as_string() +
                                      " (give --cau-plugin-name before each plug-in's arguments)");
        }
        last["arguments"] = *arguments;
        break;
      }
    }
  }
  if (plugin_flags) {
    value list = value::array();
    for (size_t i = 0; i < plugins.size(); ++i) list[i] = plugins[i];
    spec["plugins"] = list;
  }
  // ForcePauseDrainAndReboot drains (README: drain Force + forceReboot), unless a drain
  // mode was chosen: then validation judges the pair.
  const SpecFlag* force_reboot = FindSpecFlag("force-pause-drain-and-reboot");
  if (force_reboot != nullptr && args.Has(force_reboot->name) && spec.has_field("forceReboot") &&
      spec.at("forceReboot").is_boolean() && spec.at("forceReboot").as_bool() &&
      !spec.has_field("drain")) {
    spec["drain"] = value::string("Force");
    input.origin["drain"] = "--" + force_reboot->name;
  }
  return input;
}

StatusOr<crd::UpdateRunSpec> CheckSpec(const SpecInput& input,
                                       const std::vector<std::string>* selected_nodes) {
  auto spec = crd::DecodeUpdateRunSpec(input.spec);
  if (!spec.ok()) {
    const std::string& m = spec.status().message();
    const size_t colon = m.find(": ");
    if (colon == std::string::npos) return spec.status();
    return InvalidArgumentError(Named(input, m.substr(0, colon), m.substr(colon + 2)));
  }
  std::vector<crd::FieldError> errors;
  if (selected_nodes != nullptr) {
    errors = crd::ValidateUpdateRunSpec(*spec, *selected_nodes);
  } else {
    // With no node selected the count-dependent checks do not apply, but every nodeOrder
    // name would be unknown: those entries are judged again as if each named node existed,
    // which leaves only their own problems (empty, duplicated, not a name).
    for (crd::FieldError& e : crd::ValidateUpdateRunSpec(*spec, {})) {
      if (e.field.rfind("spec.nodeOrder[", 0) != 0) errors.push_back(std::move(e));
    }
    for (crd::FieldError& e : crd::ValidateUpdateRunSpec(*spec, spec->node_order)) {
      if (e.field.rfind("spec.nodeOrder[", 0) == 0) errors.push_back(std::move(e));
    }
  }
  if (!errors.empty()) {
    std::string message;
    for (const crd::FieldError& e : errors) {
      message += (message.empty() ? "" : "\n") + Named(input, e.field, e.problem);
    }
    return InvalidArgumentError(message);
  }
  return spec;
}

}  // namespace kcau::cli
