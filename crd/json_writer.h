// Small builders of the JSON values the UpdateRun codec writes (strings, string arrays,
// string maps), shared by the spec and the status encoders. Pure functions, thread-safe.
#pragma once

#include <cpprest/json.h>

#include <map>
#include <string>
#include <vector>

namespace kcau::crd::jsonio {

inline web::json::value Str(const std::string& s) { return web::json::value::string(s); }

inline web::json::value StrArray(const std::vector<std::string>& items) {
  web::json::value arr = web::json::value::array(items.size());
  for (size_t i = 0; i < items.size(); ++i) arr[i] = Str(items[i]);
  return arr;
}

inline web::json::value StrMap(const std::map<std::string, std::string>& m) {
  web::json::value obj = web::json::value::object();
  for (const auto& [k, v] : m) obj[k] = Str(v);
  return obj;
}

}  // namespace kcau::crd::jsonio
