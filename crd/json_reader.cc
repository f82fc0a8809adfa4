#include "crd/json_reader.h"

#include <cstdint>

#include "crd/duration.h"

namespace kcau::crd::jsonio {

using web::json::value;

std::string Path::str() const {
  if (text_ != nullptr) return *text_;
  if (literal_ != nullptr) return literal_;
  if (key_ != nullptr) return parent_->str() + "." + *key_;
  return parent_->str() + "[" + std::to_string(index_) + "]";
}

void Fail(const std::string& path, const std::string& problem) {
  throw DecodeError(path + ": " + problem);
}

const char* TypeOf(const value& v) {
  switch (v.type()) {
    case value::Number:
      return v.is_integer() ? "integer" : "number";
    case value::Boolean:
      return "boolean";
    case value::String:
      return "string";
    case value::Object:
      return "object";
    case value::Array:
      return "array";
    case value::Null:
      return "null";
  }
  return "unknown";
}

void Expect(const value& v, value::value_type type, const Path& path, const char* want) {
  if (v.type() != type) Fail(path, std::string("expected ") + want + ", got " + TypeOf(v));
}

std::string String(const value& v, const Path& path) {
  Expect(v, value::String, path, "string");
  return v.as_string();
}

bool Bool(const value& v, const Path& path) {
  Expect(v, value::Boolean, path, "boolean");
  return v.as_bool();
}

int64_t Int64(const value& v, const Path& path) {
  if (!v.is_integer()) Fail(path, std::string("expected integer, got ") + TypeOf(v));
  return v.as_number().to_int64();
}

int Int(const value& v, const Path& path) {
  const int64_t n = Int64(v, path);
  if (n < INT32_MIN || n > INT32_MAX) Fail(path, "out of range");
  return static_cast<int>(n);
}

std::string ItemPath(const std::string& path, size_t index) { return Path(path, index).str(); }

std::vector<std::string> Strings(const value& v, const Path& path) {
  return Items(v, path, String);
}

std::map<std::string, std::string> StringMap(const value& v, const Path& path) {
  Expect(v, value::Object, path, "object");
  std::map<std::string, std::string> out;
  for (const auto& [k, item] : v.as_object()) {
    // Plug-in arguments are name=value pairs; numbers and booleans written unquoted in
    // YAML are taken as their text, as the cmdlet's Hashtable takes them.
    if (item.is_string()) {
      out[k] = item.as_string();
    } else if (item.is_number() || item.is_boolean()) {
      out[k] = item.serialize();
    } else {
      Fail(Path(path, k), std::string("expected string, got ") + TypeOf(item));
    }
  }
  return out;
}

std::string NameField(const value& v, const Path& path,
                      std::string (*problem_of)(const std::string&)) {
  std::string s = String(v, path);
  if (const std::string problem = problem_of(s); !problem.empty()) Fail(path, problem);
  return s;
}

Duration DurationField(const value& v, const Path& path) {
  auto d = ParseDuration(String(v, path));
  if (!d.ok()) Fail(path, d.status().message());
  return *d;
}

TimePoint Time(const value& v, const Path& path) {
  auto t = ParseRfc3339(String(v, path));
  if (!t) Fail(path, "expected an RFC 3339 time such as 2026-01-02T15:04:05Z");
  return *t;
}

}  // namespace kcau::crd::jsonio
