#include "sim/json_patch.h"

#include <map>
#include <string>
#include <vector>

namespace kcau::sim {

namespace {

using web::json::value;

// Lists that strategic merge patches merge element-wise, and the key that identifies an
// element (from the Kubernetes types' patchMergeKey tags).
const std::map<std::string, std::string>& MergeKeys() {
  static const std::map<std::string, std::string> keys = {
      {"conditions", "type"}, {"containers", "name"},     {"initContainers", "name"},
      {"taints", "key"},      {"ports", "containerPort"}, {"env", "name"},
      {"volumes", "name"},    {"ownerReferences", "uid"}, {"addresses", "type"}};
  return keys;
}

value Strategic(const value& target, const value& patch);

value MergeListByKey(const value& target, const value& patch, const std::string& key) {
  value out = target.is_array() ? target : value::array();
  for (const auto& item : patch.as_array()) {
    if (!item.is_object() || !item.has_field(key)) {
      out[out.size()] = item;
      continue;
    }
    bool deleted = item.has_string_field("$patch") && item.at("$patch").as_string() == "delete";
    bool merged = false;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].is_object() && out[i].has_field(key) && out[i].at(key) == item.at(key)) {
        if (deleted) {
          out.as_array().erase(out.as_array().begin() + static_cast<long>(i));
        } else {
          out[i] = Strategic(out[i], item);
        }
        merged = true;
        break;
      }
    }
    if (!merged && !deleted) out[out.size()] = item;
  }
  return out;
}

value Strategic(const value& target, const value& patch) {
  if (!patch.is_object()) return patch;
  value out = target.is_object() ? target : value::object();
  for (const auto& [k, v] : patch.as_object()) {
    if (k.rfind("$", 0) == 0) continue;  // directives such as $retainKeys are not modelled
    if (v.is_null()) {
      if (out.has_field(k)) out.erase(k);
      continue;
    }
    auto mk = MergeKeys().find(k);
    if (v.is_array() && mk != MergeKeys().end()) {
      out[k] = MergeListByKey(out.has_field(k) ? out.at(k) : value::array(), v, mk->second);
    } else if (v.is_object()) {
      out[k] = Strategic(out.has_field(k) ? out.at(k) : value::object(), v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

// RFC 6901 pointer -> tokens.
StatusOr<std::vector<std::string>> Pointer(const std::string& path) {
  std::vector<std::string> tokens;
  if (path.empty()) return tokens;
  if (path[0] != '/')
    return InvalidArgumentError("JSON pointer \"" + path + "\" must start with /");
  size_t pos = 1;
  while (true) {
    size_t next = path.find('/', pos);
    std::string tok = path.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    std::string unescaped;
    for (size_t i = 0; i < tok.size(); ++i) {
      if (tok[i] == '~' && i + 1 < tok.size() && tok[i + 1] == '1') {
        unescaped += '/';
        ++i;
      } else if (tok[i] == '~' && i + 1 < tok.size() && tok[i + 1] == '0') {
        unescaped += '~';
        ++i;
      } else {
        unescaped += tok[i];
      }
    }
    tokens.push_back(unescaped);
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return tokens;
}

// One step down a JSON pointer: the member or element that `token` names.
StatusOr<value*> Step(value* cur, const std::string& token, const std::string& path) {
  if (cur->is_object() && cur->has_field(token)) return &cur->at(token);
  if (cur->is_array()) {
    size_t idx = 0;
    try {
      idx = std::stoul(token);
    } catch (const std::exception&) {
      return InvalidArgumentError("JSON patch path " + path + ": bad array index " + token);
    }
    if (idx >= cur->size())
      return InvalidArgumentError("JSON patch path " + path + ": out of range");
    return &cur->at(idx);
  }
  return InvalidArgumentError("JSON patch path " + path + " does not exist");
}

// The container holding the last token, or an error naming the path.
StatusOr<value*> Parent(value& doc, const std::vector<std::string>& tokens,
                        const std::string& path) {
  value* cur = &doc;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    auto next = Step(cur, tokens[i], path);
    if (!next.ok()) return next.status();
    cur = *next;
  }
  return cur;
}

StatusOr<value> Get(value doc, const std::string& path) {
  auto tokens = Pointer(path);
  if (!tokens.ok()) return tokens.status();
  value* cur = &doc;
  for (const auto& t : *tokens) {
    auto next = Step(cur, t, path);
    if (!next.ok()) return next.status();
    cur = *next;
  }
  return *cur;
}

Status Remove(value& doc, const std::string& path) {
  auto tokens = Pointer(path);
  if (!tokens.ok()) return tokens.status();
  if (tokens->empty()) return InvalidArgumentError("cannot remove the whole document");
  auto parent = Parent(doc, *tokens, path);
  if (!parent.ok()) return parent.status();
  const std::string& last = tokens->back();
  value& p = **parent;
  if (p.is_object() && p.has_field(last)) {
    p.erase(last);
    return Status::Ok();
  }
  if (p.is_array()) {
    size_t idx = 0;
    try {
      idx = std::stoul(last);
    } catch (const std::exception&) {
      return InvalidArgumentError("JSON patch path " + path + ": bad array index");
    }
    if (idx < p.size()) {
      p.as_array().erase(p.as_array().begin() + static_cast<long>(idx));
      return Status::Ok();
    }
  }
  return InvalidArgumentError("JSON patch remove: path " + path + " does not exist");
}

Status Add(value& doc, const std::string& path, const value& v, bool replace) {
  auto tokens = Pointer(path);
  if (!tokens.ok()) return tokens.status();
  if (tokens->empty()) {
    doc = v;
    return Status::Ok();
  }
  auto parent = Parent(doc, *tokens, path);
  if (!parent.ok()) return parent.status();
  const std::string& last = tokens->back();
  value& p = **parent;
  if (p.is_object()) {
    if (replace && !p.has_field(last)) {
      return InvalidArgumentError("JSON patch replace: path " + path + " does not exist");
    }
    p[last] = v;
    return Status::Ok();
  }
  if (p.is_array()) {
    auto& arr = p.as_array();
    if (last == "-") {
      if (replace) return InvalidArgumentError("JSON patch replace: path " + path + " invalid");
      p[p.size()] = v;
      return Status::Ok();
    }
    size_t idx = 0;
    try {
      idx = std::stoul(last);
    } catch (const std::exception&) {
      return InvalidArgumentError("JSON patch path " + path + ": bad array index");
    }
    if (replace) {
      if (idx >= arr.size())
        return InvalidArgumentError("JSON patch path " + path + ": out of range");
      p[idx] = v;
      return Status::Ok();
    }
    if (idx > arr.size()) return InvalidArgumentError("JSON patch path " + path + ": out of range");
    // web::json arrays have no insert; rebuild.
    value rebuilt = value::array();
    size_t j = 0;
    for (size_t i = 0; i <= arr.size(); ++i) {
      if (i == idx) rebuilt[j++] = v;
      if (i < arr.size()) rebuilt[j++] = arr.at(i);
    }
    p = rebuilt;
    return Status::Ok();
  }
  return InvalidArgumentError("JSON patch path " + path + ": parent is not a container");
}

}  // namespace

value ApplyMergePatch(const value& target, const value& patch) {
  if (!patch.is_object()) return patch;
  value out = target.is_object() ? target : value::object();
  for (const auto& [k, v] : patch.as_object()) {
    if (v.is_null()) {
      if (out.has_field(k)) out.erase(k);
    } else {
      out[k] = ApplyMergePatch(out.has_field(k) ? out.at(k) : value::null(), v);
    }
  }
  return out;
}

StatusOr<value> ApplyStrategicMergePatch(const value& target, const value& patch) {
  if (!patch.is_object()) return InvalidArgumentError("strategic merge patch must be an object");
  return Strategic(target, patch);
}

StatusOr<value> ApplyJsonPatch(const value& target, const value& patch) {
  if (!patch.is_array()) return InvalidArgumentError("JSON patch must be an array of operations");
  value doc = target;
  size_t i = 0;
  for (const auto& op_v : patch.as_array()) {
    const std::string where = "JSON patch operation " + std::to_string(i++);
    if (!op_v.is_object() || !op_v.has_string_field("op") || !op_v.has_string_field("path")) {
      return InvalidArgumentError(where + ": needs \"op\" and \"path\"");
    }
    const std::string op = op_v.at("op").as_string();
    const std::string path = op_v.at("path").as_string();
    Status s;
    if (op == "add" || op == "replace") {
      if (!op_v.has_field("value")) return InvalidArgumentError(where + ": needs \"value\"");
      s = Add(doc, path, op_v.at("value"), op == "replace");
    } else if (op == "remove") {
      s = Remove(doc, path);
    } else if (op == "move" || op == "copy") {
      if (!op_v.has_string_field("from")) return InvalidArgumentError(where + ": needs \"from\"");
      auto v = Get(doc, op_v.at("from").as_string());
      if (!v.ok()) return v.status();
      if (op == "move") {
        s = Remove(doc, op_v.at("from").as_string());
        if (!s.ok()) return s;
      }
      s = Add(doc, path, *v, false);
    } else if (op == "test") {
      auto v = Get(doc, path);
      const value expected = op_v.has_field("value") ? op_v.at("value") : value::null();
      if (!v.ok()) {
        // As evanphx/json-patch: a missing member of an existing object tests as null.
        auto tokens = Pointer(path);
        if (!tokens.ok()) return tokens.status();
        auto parent = Parent(doc, *tokens, path);
        if (!parent.ok()) {
          return InvalidArgumentError("test operation does not apply: is missing path: " + path);
        }
        v = value::null();
      }
      if (*v != expected) {
        // evanphx/json-patch's words, which the API server passes on with 422.
        return InvalidArgumentError("testing value " + path + " failed: test failed");
      }
    } else {
      return InvalidArgumentError(where + ": unknown op \"" + op + "\"");
    }
    if (!s.ok()) return s;
  }
  return doc;
}

}  // namespace kcau::sim
