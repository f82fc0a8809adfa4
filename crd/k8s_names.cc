#include "crd/k8s_names.h"

#include <cctype>

namespace kcau::crd {

namespace {

constexpr size_t kQuotedMax = 64;

bool LowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool Alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string TooLong(const std::string& value, size_t max) {
  return "is " + std::to_string(value.size()) + " characters long, at most " + std::to_string(max) +
         " allowed";
}

// One dot-separated part of a DNS-1123 subdomain: [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool DnsLabel(const std::string& s, size_t begin, size_t end) {
  if (begin == end || !LowerAlnum(s[begin]) || !LowerAlnum(s[end - 1])) return false;
  for (size_t i = begin; i < end; ++i) {
    if (!LowerAlnum(s[i]) && s[i] != '-') return false;
  }
  return true;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], not empty.
bool QualifiedNamePart(const std::string& s) {
  if (s.empty() || !Alnum(s.front()) || !Alnum(s.back())) return false;
  for (char c : s) {
    if (!Alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::string DnsSubdomainProblem(const std::string& value) {
  if (value.empty()) return "must not be empty";
  if (value.size() > kMaxDnsSubdomainLength) return TooLong(value, kMaxDnsSubdomainLength);
  size_t begin = 0;
  while (true) {
    size_t dot = value.find('.', begin);
    const size_t end = dot == std::string::npos ? value.size() : dot;
    if (!DnsLabel(value, begin, end)) {
      return Quoted(value) +
             " is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', each "
             "'.'-separated part starting and ending with a letter or digit)";
    }
    if (dot == std::string::npos) return "";
    begin = dot + 1;
  }
}

std::string ConfigMapKeyProblem(const std::string& value) {
  if (value.empty()) return "must not be empty";
  if (value.size() > kMaxConfigMapKeyLength) return TooLong(value, kMaxConfigMapKeyLength);
  for (char c : value) {
    if (!Alnum(c) && c != '-' && c != '_' && c != '.') {
      return Quoted(value) + " is not a ConfigMap key (letters, digits, '-', '_' and '.' only)";
    }
  }
  if (value == "." || value.rfind("..", 0) == 0) {
    return Quoted(value) + " is not a ConfigMap key (must not be '.' or start with '..')";
  }
  return "";
}

std::string LabelKeyProblem(const std::string& value) {
  if (value.empty()) return "must not be empty";
  const size_t slash = value.find('/');
  const std::string name = slash == std::string::npos ? value : value.substr(slash + 1);
  if (slash != std::string::npos) {
    const std::string prefix_problem = DnsSubdomainProblem(value.substr(0, slash));
    if (!prefix_problem.empty()) return Quoted(value) + ": prefix " + prefix_problem;
  }
  if (name.size() > kMaxLabelNameLength) {
    return Quoted(value) + ": name " + TooLong(name, kMaxLabelNameLength);
  }
  if (!QualifiedNamePart(name)) {
    return Quoted(value) +
           " is not a label key ([prefix/]name; name: letters, digits, '-', '_' and '.', "
           "starting and ending with a letter or digit)";
  }
  return "";
}

std::string LabelValueProblem(const std::string& value) {
  if (value.size() > kMaxLabelValueLength) return TooLong(value, kMaxLabelValueLength);
  if (!value.empty() && !QualifiedNamePart(value)) {
    return Quoted(value) +
           " is not a label value (letters, digits, '-', '_' and '.', starting and ending with "
           "a letter or digit)";
  }
  return "";
}

std::string Quoted(const std::string& value) {
  if (value.size() <= kQuotedMax) return "\"" + value + "\"";
  size_t cut = kQuotedMax;
  // Never inside a UTF-8 sequence: the message must stay valid JSON text.
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return "\"" + value.substr(0, cut) + "...\" (" + std::to_string(value.size()) + " characters)";
}

}  // namespace kcau::crd
