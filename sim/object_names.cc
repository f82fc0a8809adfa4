#include "sim/object_names.h"

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace kcau::sim {

namespace {

constexpr size_t kSubdomainMaxLength = 253;
constexpr size_t kLabelMaxLength = 63;

constexpr char kSubdomainMessage[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
// Go's RegexError puts "', " after every example, hence the double space before "or".
constexpr char kLabelMessage[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr char kDns1035Message[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

// Go's one-letter escapes (\a ... \v) and the characters they stand for.
constexpr std::string_view kShortEscapes = "abfnrtv";
constexpr std::string_view kShortEscapeValues = "\a\b\f\n\r\t\v";

bool LowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool IsLabel(const std::string& s) {
  if (s.empty() || !LowerAlnum(s.front()) || !LowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!LowerAlnum(c) && c != '-') return false;
  }
  return true;
}

// Labels joined by single dots.
bool IsSubdomain(const std::string& s) {
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    if (!IsLabel(s.substr(start, dot == std::string::npos ? dot : dot - start))) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

std::string MaxLengthMessage(size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

// A generateName may end in '-' (the random part follows): the API server checks it with
// its last two characters replaced by "a".
std::string MaskTrailingDash(const std::string& name) {
  if (name.size() > 1 && name.back() == '-') return name.substr(0, name.size() - 2) + "a";
  return name;
}

// Decodes one UTF-8 sequence at s[i]; 0 bytes when it is not valid UTF-8 (as Go's
// utf8.DecodeRune reports RuneError with width 1).
size_t DecodeUtf8(const std::string& s, size_t i, uint32_t& rune) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = 0;
  uint32_t min = 0;
  if (c < 0x80) {
    rune = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    n = 2, rune = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, rune = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, rune = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    rune = (rune << 6) | (b(i + k) & 0x3f);
  }
  if (rune < min || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) return 0;
  return n;
}

// Go's unicode.IsPrint for assigned characters: letters, marks, numbers, punctuation, symbols
// and the ASCII space; not controls, other spaces, format characters or private use.
bool IsPrint(uint32_t r) {
  if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) return false;
  switch (r) {
    case 0xa0:
    case 0xad:
    case 0x61c:
    case 0x6dd:
    case 0x70f:
    case 0x1680:
    case 0x180e:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
    case 0xfeff:
      return false;
    default:
      break;
  }
  if ((r >= 0x600 && r <= 0x605) || (r >= 0x2000 && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) ||
      (r >= 0x2060 && r <= 0x206f) || (r >= 0xfff9 && r <= 0xfffb) ||
      (r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000 || (r & 0xfffe) == 0xfffe) {
    return false;
  }
  return true;
}

std::string Hex(uint32_t v, int digits) {
  static const char* hex = "0123456789abcdef";
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = hex[v & 15];
  return out;
}

std::string EncodeUtf8(uint32_t r) {
  std::string out;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xc0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3f));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xe0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (r & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (r & 0x3f));
  }
  return out;
}

}  // namespace

NameRule NameRuleFor(const kube::Resource& r) {
  if (r.group == "rbac.authorization.k8s.io") return NameRule::kPathSegment;
  if (r.group.empty() && r.plural == "namespaces") return NameRule::kDnsLabel;
  if (r.group.empty() && r.plural == "services") return NameRule::kDns1035Label;
  return NameRule::kDnsSubdomain;
}

std::vector<std::string> NameProblems(NameRule rule, const std::string& name, bool prefix) {
  std::vector<std::string> problems;
  if (rule == NameRule::kPathSegment) {
    // RBAC checks a generateName as a whole name too (ValidateRBACName ignores `prefix`).
    if (name == "." || name == "..") return {"may not be '" + name + "'"};
    if (name.find('/') != std::string::npos) problems.push_back("may not contain '/'");
    if (name.find('%') != std::string::npos) problems.push_back("may not contain '%'");
    return problems;
  }
  const std::string checked = prefix ? MaskTrailingDash(name) : name;
  const size_t max = rule == NameRule::kDnsSubdomain ? kSubdomainMaxLength : kLabelMaxLength;
  if (checked.size() > max) problems.push_back(MaxLengthMessage(max));
  switch (rule) {
    case NameRule::kDnsSubdomain:
      if (!IsSubdomain(checked)) problems.push_back(kSubdomainMessage);
      break;
    case NameRule::kDnsLabel:
      if (!IsLabel(checked)) {
        // A valid subdomain that is no label can only be one with dots.
        problems.push_back(IsSubdomain(checked) ? "must not contain dots" : kLabelMessage);
      }
      break;
    case NameRule::kDns1035Label:
      if (!IsLabel(checked) || !(checked.front() >= 'a' && checked.front() <= 'z')) {
        problems.push_back(kDns1035Message);
      }
      break;
    case NameRule::kPathSegment:
      break;
  }
  return problems;
}

std::vector<std::string> MetadataNameErrors(const kube::Resource& r, const std::string& name,
                                            const std::string& generate_name) {
  const NameRule rule = NameRuleFor(r);
  std::vector<std::string> errors;
  if (!generate_name.empty()) {
    for (const auto& problem : NameProblems(rule, generate_name, true)) {
      errors.push_back("metadata.generateName: Invalid value: " + GoQuote(generate_name) + ": " +
                       problem);
    }
  }
  if (name.empty()) {
    errors.push_back("metadata.name: Required value: name or generateName is required");
    return errors;
  }
  for (const auto& problem : NameProblems(rule, name, false)) {
    errors.push_back("metadata.name: Invalid value: " + GoQuote(name) + ": " + problem);
  }
  return errors;
}

Status InvalidObjectError(const kube::Resource& r, const std::string& name,
                          const std::vector<std::string>& field_errors) {
  std::string message =
      r.kind + (r.group.empty() ? "" : "." + r.group) + " " + GoQuote(name) + " is invalid: ";
  for (size_t i = 0; i < field_errors.size(); ++i) {
    message += (i == 0 ? "" : "; ") + field_errors[i];
  }
  return InvalidArgumentError(message);
}

InvalidMessage ParseInvalidMessage(const std::string& message) {
  static const std::string kMarker = " is invalid: ";
  static const std::string kSeparator = "; ";
  InvalidMessage parsed;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (parsed.subject.empty() && parsed.field_errors.empty() &&
               message.compare(i, kMarker.size(), kMarker) == 0) {
      parsed.subject = message.substr(0, i);
      start = i + kMarker.size();
      i = start - 1;
    } else if (message.compare(i, kSeparator.size(), kSeparator) == 0) {
      parsed.field_errors.push_back(message.substr(start, i - start));
      start = i + kSeparator.size();
      i = start - 1;
    }
  }
  parsed.field_errors.push_back(message.substr(start));
  return parsed;
}

std::string GoQuote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t r = 0;
    const size_t width = DecodeUtf8(s, i, r);
    if (width == 0) {
      out += "\\x" + Hex(static_cast<unsigned char>(s[i]), 2);
      ++i;
      continue;
    }
    if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (IsPrint(r)) {
      out.append(s, i, width);
    } else if (const size_t at = kShortEscapeValues.find(static_cast<char>(r));
               r < 0x80 && at != std::string_view::npos) {
      out += '\\';
      out += kShortEscapes[at];
    } else if (r < ' ' || r == 0x7f) {
      out += "\\x" + Hex(r, 2);
    } else if (r < 0x10000) {
      out += "\\u" + Hex(r, 4);
    } else {
      out += "\\U" + Hex(r, 8);
    }
    i += width;
  }
  return out + "\"";
}

std::optional<std::string> GoUnquote(const std::string& quoted) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') return std::nullopt;
  const size_t end = quoted.size() - 1;  // the closing quote
  std::string out;
  for (size_t i = 1; i < end; ++i) {
    const char c = quoted[i];
    if (c == '"') return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == end) return std::nullopt;
    const char e = quoted[i];
    if (const size_t at = kShortEscapes.find(e); at != std::string_view::npos) {
      out += kShortEscapeValues[at];
      continue;
    }
    if (e == '"' || e == '\\') {
      out += e;
      continue;
    }
    const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
    if (digits == 0 || i + digits >= end) return std::nullopt;
    uint32_t v = 0;
    for (size_t k = 1; k <= digits; ++k) {
      const char h = quoted[i + k];
      const int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = v << 4 | static_cast<uint32_t>(d);
    }
    i += digits;
    if (e == 'x') {
      out += static_cast<char>(v);
    } else {
      out += EncodeUtf8(v);
    }
  }
  return out;
}

std::string GenerateNameFrom(const std::string& base) {
  // k8s.io/apimachinery's rand.String alphabet: no vowels (no words), no look-alikes.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::string name = base.substr(0, kLabelMaxLength - 5);
  for (int i = 0; i < 5; ++i) name += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return name;
}

}  // namespace kcau::sim
