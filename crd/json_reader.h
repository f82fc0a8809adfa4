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

[[noreturn]] void Fail(const std::string& path, const std::string& problem);

// "integer", "string", "object"...: the JSON type of `v` as a problem message names it.
const char* TypeOf(const web::json::value& v);

void Expect(const web::json::value& v, web::json::value::value_type type, const std::string& path,
            const char* want);

std::string String(const web::json::value& v, const std::string& path);
bool Bool(const web::json::value& v, const std::string& path);
int64_t Int64(const web::json::value& v, const std::string& path);
int Int(const web::json::value& v, const std::string& path);  // refuses what int cannot hold
std::vector<std::string> Strings(const web::json::value& v, const std::string& path);
// Plug-in arguments and labels: numbers and booleans written unquoted are taken as their text.
std::map<std::string, std::string> StringMap(const web::json::value& v, const std::string& path);

// A string that must follow one of Kubernetes' name rules (crd/k8s_names.h): it is sent to
// the API server and the node agent as is.
std::string NameField(const web::json::value& v, const std::string& path,
                      std::string (*problem_of)(const std::string&));

Duration DurationField(const web::json::value& v, const std::string& path);
TimePoint Time(const web::json::value& v, const std::string& path);  // RFC 3339

// "PATH[i]": the path of an array's item.
std::string ItemPath(const std::string& path, size_t index);

template <typename E, size_t N>
E Enum(const EnumName<E> (&table)[N], const web::json::value& v, const std::string& path) {
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
auto Items(const web::json::value& v, const std::string& path, Read read) {
  Expect(v, web::json::value::Array, path, "array");
  std::vector<decltype(read(v, path))> out;
  size_t i = 0;
  for (const auto& item : v.as_array()) out.push_back(read(item, ItemPath(path, i++)));
  return out;
}

}  // namespace kcau::crd::jsonio
