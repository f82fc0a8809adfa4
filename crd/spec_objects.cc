#include "crd/spec_objects.h"

#include <stdexcept>
#include <utility>

#include "crd/duration.h"
#include "crd/json_reader.h"
#include "crd/json_writer.h"
#include "crd/k8s_names.h"

namespace kcau::crd {

using jsonio::Bool;
using jsonio::DurationField;
using jsonio::Fail;
using jsonio::Fields;
using jsonio::Int;
using jsonio::Int64;
using jsonio::Items;
using jsonio::NameField;
using jsonio::Str;
using jsonio::StrArray;
using jsonio::String;
using jsonio::StringMap;
using jsonio::Strings;
using jsonio::StrMap;
using web::json::value;

namespace {

LabelSelectorRequirement DecodeRequirement(const value& v, const std::string& path) {
  LabelSelectorRequirement r;
  Fields(v, path, [&](const std::string& k, const value& item, const std::string& p) {
    if (k == "key") {
      r.key = String(item, p);
    } else if (k == "operator") {
      r.op = String(item, p);
    } else if (k == "values") {
      r.values = Strings(item, p);
    } else {
      return false;
    }
    return true;
  });
  return r;
}

PluginSpec DecodePlugin(const value& v, const std::string& path) {
  PluginSpec plugin;
  Fields(v, path, [&](const std::string& k, const value& item, const std::string& p) {
    if (k == "name") {
      plugin.name = String(item, p);
    } else if (k == "arguments") {
      plugin.arguments = StringMap(item, p);
    } else {
      return false;
    }
    return true;
  });
  return plugin;
}

}  // namespace

LabelSelector DecodeSelector(const value& v, const std::string& path) {
  LabelSelector s;
  Fields(v, path, [&](const std::string& k, const value& item, const std::string& p) {
    if (k == "matchLabels") {
      s.match_labels = StringMap(item, p);
    } else if (k == "matchExpressions") {
      s.match_expressions = Items(item, p, DecodeRequirement);
    } else {
      return false;
    }
    return true;
  });
  return s;
}

value EncodeSelector(const LabelSelector& selector) {
  value sel = value::object();
  if (!selector.match_labels.empty()) sel["matchLabels"] = StrMap(selector.match_labels);
  if (!selector.match_expressions.empty()) {
    value exprs = value::array();
    size_t i = 0;
    for (const auto& r : selector.match_expressions) {
      value e = value::object();
      e["key"] = Str(r.key);
      e["operator"] = Str(r.op);
      if (!r.values.empty()) e["values"] = StrArray(r.values);
      exprs[i++] = e;
    }
    sel["matchExpressions"] = exprs;
  }
  return sel;
}

std::vector<PluginSpec> DecodePlugins(const value& v, const std::string& path) {
  return Items(v, path, DecodePlugin);
}

value EncodePlugins(const std::vector<PluginSpec>& plugins) {
  value arr = value::array();
  size_t i = 0;
  for (const auto& p : plugins) {
    value e = value::object();
    e["name"] = Str(p.name);
    if (!p.arguments.empty()) e["arguments"] = StrMap(p.arguments);
    arr[i++] = e;
  }
  return arr;
}

HookSpec DecodeHook(const value& v, const std::string& path) {
  HookSpec h;
  Fields(v, path, [&](const std::string& k, const value& item, const std::string& p) {
    if (k == "configMap") {
      h.config_map = NameField(item, p, DnsSubdomainProblem);
    } else if (k == "key") {
      h.key = NameField(item, p, ConfigMapKeyProblem);
    } else if (k == "timeoutSeconds") {
      h.timeout_seconds = Int(item, p);
    } else {
      return false;
    }
    return true;
  });
  return h;
}

value EncodeHook(const HookSpec& h) {
  value o = value::object();
  o["configMap"] = Str(h.config_map);
  o["key"] = Str(h.key);
  if (h.timeout_seconds) o["timeoutSeconds"] = value::number(*h.timeout_seconds);
  return o;
}

HookRunnerSpec DecodeHookRunner(const value& v, const std::string& path) {
  HookRunnerSpec h;
  Fields(v, path, [&](const std::string& k, const value& item, const std::string& p) {
    if (k == "serviceAccountName") {
      h.service_account_name = NameField(item, p, DnsSubdomainProblem);
    } else if (k == "runAsUser") {
      h.run_as_user = Int64(item, p);
    } else {
      return false;
    }
    return true;
  });
  return h;
}

value EncodeHookRunner(const HookRunnerSpec& runner) {
  value h = value::object();
  if (!runner.service_account_name.empty()) {
    h["serviceAccountName"] = Str(runner.service_account_name);
  }
  if (runner.run_as_user) h["runAsUser"] = value::number(*runner.run_as_user);
  return h;
}

IntOrPercent DecodeIntOrPercent(const value& v, const std::string& path) {
  if (v.is_integer()) return {Int(v, path), false};
  const std::string s = String(v, path);
  if (s.size() < 2 || s.back() != '%') Fail(path, "expected an integer or a percentage like 25%");
  try {
    size_t used = 0;
    int n = std::stoi(s.substr(0, s.size() - 1), &used);
    if (used != s.size() - 1) throw std::invalid_argument(s);
    return {n, true};
  } catch (const std::exception&) {
    Fail(path, "expected an integer or a percentage like 25%");
  }
}

value EncodeIntOrPercent(const IntOrPercent& n) {
  return n.percent ? Str(std::to_string(n.value) + "%") : value::number(n.value);
}

SettleSpec DecodeSettle(const value& v, const std::string& path) {
  SettleSpec settle;
  Fields(v, path, [&](const std::string& k, const value& item, const std::string& p) {
    if (k == "workloadsReady") {
      settle.workloads_ready = Bool(item, p);
    } else if (k == "delay") {
      settle.delay = DurationField(item, p);
    } else {
      return false;
    }
    return true;
  });
  return settle;
}

value EncodeSettle(const SettleSpec& settle) {
  value st = value::object();
  if (settle.workloads_ready) st["workloadsReady"] = value::boolean(*settle.workloads_ready);
  if (settle.delay) st["delay"] = Str(FormatDuration(*settle.delay));
  return st;
}

}  // namespace kcau::crd
