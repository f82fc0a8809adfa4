// Typed reads of the JSON the API server stores, for the UpdateRun codec: each reader takes
// the value and its JSON path, and a value of the wrong type or out of range is refused
// naming that path ("spec.maxRetriesPerNode: expected integer, got string").
//
// The readers throw DecodeError so that a decoder of nested objects reads straight through;
// the codec's public functions (crd/updaterun_codec.h) catch it and return it as an
// InvalidArgument Status. Nothing outside the codec's files sees the exception.
// Pure functions, thread-safe.
#pragma once

#include <cpprest/json.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crd/k8s_names.h"
#include "crd/names.h"

namespace kcau::crd::jsonio {

// The message is "PATH: PROBLEM", the text of the InvalidArgument Status it becomes.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A value's JSON path, spelled out only when a problem names it: a 5,000-node status has
// ~50,000 fields, and building each one's path string on every decode was most of the
// decode's time. A Path refers to the strings and Paths it was made from, so it is passed
// down to readers, never kept.
class Path {
 public:
  Path(const std::string& text) : text_(&text) {}  // NOLINT: implicit, as a path string
  Path(const char* text) : literal_(text) {}       // NOLINT: implicit
  Path(const Path& parent, const std::string& key) : parent_(&parent), key_(&key) {}
  Path(const Path& parent, size_t index) : parent_(&parent), index_(index) {}

  // "spec.plugins[0].name"
  std::string str() const;
  operator std::string() const { return str(); }  // NOLINT: for readers that keep a string

 private:
  const std::string* text_ = nullptr;
  const char* literal_ = nullptr;
  const Path* parent_ = nullptr;
  const std::string* key_ = nullptr;  // with parent_: a field; without: an item (index_)
  size_t index_ = 0;
};

[[noreturn]] void Fail(const std::string& path, const std::string& problem);

// "integer", "string", "object"...: the JSON type of `v` as a problem message names it.
const char* TypeOf(const web::json::value& v);

void Expect(const web::json::value& v, web::json::value::value_type type, const Path& path,
            const char* want);

std::string String(const web::json::value& v, const Path& path);
bool Bool(const web::json::value& v, const Path& path);
int64_t Int64(const web::json::value& v, const Path& path);
int Int(const web::json::value& v, const Path& path);  // refuses what int cannot hold
std::vector<std::string> Strings(const web::json::value& v, const Path& path);
// Plug-in arguments and labels: numbers and booleans written unquoted are taken as their text.
std::map<std::string, std::string> StringMap(const web::json::value& v, const Path& path);

// A string that must follow one of Kubernetes' name rules (crd/k8s_names.h): it is sent to
// the API server and the node agent as is.
std::string NameField(const web::json::value& v, const Path& path,
                      std::string (*problem_of)(const std::string&));

Duration DurationField(const web::json::value& v, const Path& path);
TimePoint Time(const web::json::value& v, const Path& path);  // RFC 3339

// "PATH[i]": the path of an array's item.
std::string ItemPath(const std::string& path, size_t index);

template <typename E, size_t N>
E Enum(const EnumName<E> (&table)[N], const web::json::value& v, const Path& path) {
  const std::string s = String(v, path);
  auto e = ParseEnum(table, s);
  if (!e) Fail(path, Quoted(s) + " is not one of " + EnumChoices(table));
  return *e;
}

// Walks an object's fields, refusing the ones no handler claims, as strict field validation
// would: handle(key, item, path of the item) returns false for a key it does not know.
template <typename Handler>
void Fields(const web::json::value& v, const std::string& path, Handler handle) {
  Expect(v, web::json::value::Object, path, "object");
  for (const auto& [key, item] : v.as_object()) {
    if (!handle(key, item, path + "." + key)) Fail(path + "." + key, "unknown field");
  }
}

// An array's items, each read by read(item, path of the item).
template <typename Read>
auto Items(const web::json::value& v, const Path& path, Read read) {
  Expect(v, web::json::value::Array, path, "array");
  std::vector<decltype(read(v, path))> out;
  out.reserve(v.size());
  size_t i = 0;
  for (const auto& item : v.as_array()) out.push_back(read(item, Path(path, i++)));
  return out;
}

}  // namespace kcau::crd::jsonio
