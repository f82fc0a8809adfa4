#include "crd/updaterun_codec.h"

#include <map>
#include <tuple>

#include <stdexcept>
#include <utility>

#include "crd/duration.h"
#include "crd/k8s_names.h"
#include "crd/names.h"

namespace kcau::crd {

namespace {

using web::json::value;

// ------------------------------------------------------------------------------ reader

// Thrown inside this file only; DecodeUpdateRun turns it into an InvalidArgument Status.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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

[[noreturn]] void Fail(const std::string& path, const std::string& problem) {
  throw DecodeError(path + ": " + problem);
}

void Expect(const value& v, value::value_type type, const std::string& path, const char* want) {
  if (v.type() != type) Fail(path, std::string("expected ") + want + ", got " + TypeOf(v));
}

std::string String(const value& v, const std::string& path) {
  Expect(v, value::String, path, "string");
  return v.as_string();
}

bool Bool(const value& v, const std::string& path) {
  Expect(v, value::Boolean, path, "boolean");
  return v.as_bool();
}

int64_t Int64(const value& v, const std::string& path) {
  if (!v.is_integer()) Fail(path, std::string("expected integer, got ") + TypeOf(v));
  return v.as_number().to_int64();
}

int Int(const value& v, const std::string& path) {
  const int64_t n = Int64(v, path);
  if (n < INT32_MIN || n > INT32_MAX) Fail(path, "out of range");
  return static_cast<int>(n);
}

std::vector<std::string> Strings(const value& v, const std::string& path) {
  Expect(v, value::Array, path, "array");
  std::vector<std::string> out;
  size_t i = 0;
  for (const auto& item : v.as_array()) {
    out.push_back(String(item, path + "[" + std::to_string(i++) + "]"));
  }
  return out;
}

std::map<std::string, std::string> StringMap(const value& v, const std::string& path) {
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
      Fail(path + "." + k, std::string("expected string, got ") + TypeOf(item));
    }
  }
  return out;
}

// A string that must follow one of Kubernetes' name rules (crd/k8s_names.h): it is sent to
// the API server and the node agent as is.
std::string NameField(const value& v, const std::string& path,
                      std::string (*problem_of)(const std::string&)) {
  std::string s = String(v, path);
  if (const std::string problem = problem_of(s); !problem.empty()) Fail(path, problem);
  return s;
}

Duration DurationField(const value& v, const std::string& path) {
  auto d = ParseDuration(String(v, path));
  if (!d.ok()) Fail(path, d.status().message());
  return *d;
}

TimePoint Time(const value& v, const std::string& path) {
  auto t = ParseRfc3339(String(v, path));
  if (!t) Fail(path, "expected an RFC 3339 time such as 2026-01-02T15:04:05Z");
  return *t;
}

template <typename E, size_t N>
E Enum(const EnumName<E> (&table)[N], const value& v, const std::string& path) {
  const std::string s = String(v, path);
  auto e = ParseEnum(table, s);
  if (!e) Fail(path, Quoted(s) + " is not one of " + EnumChoices(table));
  return *e;
}

// Walks an object's fields, refusing the ones no handler claims.
template <typename Handler>
void Fields(const value& v, const std::string& path, Handler handle) {
  Expect(v, value::Object, path, "object");
  for (const auto& [key, item] : v.as_object()) {
    if (!handle(key, item, path + "." + key)) Fail(path + "." + key, "unknown field");
  }
}

LabelSelector DecodeSelector(const value& v, const std::string& path) {
  LabelSelector s;
  Fields(v, path, [&](const std::string& k, const value& item, const std::string& p) {
    if (k == "matchLabels") {
      s.match_labels = StringMap(item, p);
    } else if (k == "matchExpressions") {
      Expect(item, value::Array, p, "array");
      size_t i = 0;
      for (const auto& e : item.as_array()) {
        const std::string ep = p + "[" + std::to_string(i++) + "]";
        LabelSelectorRequirement r;
        Fields(e, ep, [&](const std::string& ek, const value& ev, const std::string& epp) {
          if (ek == "key") {
            r.key = String(ev, epp);
          } else if (ek == "operator") {
            r.op = String(ev, epp);
          } else if (ek == "values") {
            r.values = Strings(ev, epp);
          } else {
            return false;
          }
          return true;
        });
        s.match_expressions.push_back(std::move(r));
      }
    } else {
      return false;
    }
    return true;
  });
  return s;
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

UpdateRunSpec DecodeSpec(const value& v) {
  UpdateRunSpec s;
  Fields(v, "spec", [&](const std::string& k, const value& item, const std::string& p) {
    if (k == "nodeSelector") {
      s.node_selector = DecodeSelector(item, p);
    } else if (k == "plugins") {
      Expect(item, value::Array, p, "array");
      size_t i = 0;
      for (const auto& e : item.as_array()) {
        const std::string ep = p + "[" + std::to_string(i++) + "]";
        PluginSpec plugin;
        Fields(e, ep, [&](const std::string& pk, const value& pv, const std::string& pp) {
          if (pk == "name") {
            plugin.name = String(pv, pp);
          } else if (pk == "arguments") {
            plugin.arguments = StringMap(pv, pp);
          } else {
            return false;
          }
          return true;
        });
        s.plugins.push_back(std::move(plugin));
      }
    } else if (k == "runPluginsSerially") {
      s.run_plugins_serially = Bool(item, p);
    } else if (k == "stopOnPluginFailure") {
      s.stop_on_plugin_failure = Bool(item, p);
    } else if (k == "separateReboots") {
      s.separate_reboots = Bool(item, p);
    } else if (k == "maxFailedNodes") {
      s.max_failed_nodes = Int(item, p);
    } else if (k == "maxRetriesPerNode") {
      s.max_retries_per_node = Int(item, p);
    } else if (k == "nodeOrder") {
      s.node_order = Strings(item, p);
    } else if (k == "siteAwareUpdatingOrder") {
      s.site_aware_updating_order = Strings(item, p);
    } else if (k == "preUpdateHook") {
      s.pre_update_hook = DecodeHook(item, p);
    } else if (k == "postUpdateHook") {
      s.post_update_hook = DecodeHook(item, p);
    } else if (k == "hookRunner") {
      HookRunnerSpec h;
      Fields(item, p, [&](const std::string& hk, const value& hv, const std::string& hp) {
        if (hk == "serviceAccountName") {
          h.service_account_name = NameField(hv, hp, DnsSubdomainProblem);
        } else if (hk == "runAsUser") {
          h.run_as_user = Int64(hv, hp);
        } else {
          return false;
        }
        return true;
      });
      s.hook_runner = h;
    } else if (k == "requireAllNodesOnline") {
      s.require_all_nodes_online = Bool(item, p);
    } else if (k == "warnAfter") {
      s.warn_after = DurationField(item, p);
    } else if (k == "stopAfter") {
      s.stop_after = DurationField(item, p);
    } else if (k == "rebootTimeoutMinutes") {
      s.reboot_timeout_minutes = Int(item, p);
    } else if (k == "drainTimeoutMinutes") {
      s.drain_timeout_minutes = Int(item, p);
    } else if (k == "agentTimeoutMinutes") {
      s.agent_timeout_minutes = Int(item, p);
    } else if (k == "drain") {
      s.drain = Enum(kDrainModeNames, item, p);
    } else if (k == "forceReboot") {
      s.force_reboot = Bool(item, p);
    } else if (k == "failbackMode") {
      s.failback_mode = Enum(kFailbackModeNames, item, p);
    } else if (k == "rebootMode") {
      s.reboot_mode = Enum(kRebootModeNames, item, p);
    } else if (k == "attemptSoftReboot") {
      s.attempt_soft_reboot = Bool(item, p);
    } else if (k == "osRollingUpgrade") {
      s.os_rolling_upgrade = Bool(item, p);
    } else if (k == "skipUpdateChecks") {
      s.skip_update_checks = Bool(item, p);
    } else if (k == "forceSelfUpdate") {
      s.force_self_update = Bool(item, p);
    } else if (k == "whatIf") {
      s.what_if = Bool(item, p);
    } else if (k == "forceRecovery") {
      s.force_recovery = Bool(item, p);
    } else if (k == "mode") {
      s.mode = Enum(kRunModeNames, item, p);
    } else if (k == "stop") {
      s.stop = Bool(item, p);
    } else if (k == "maxUnavailable") {
      s.max_unavailable = DecodeIntOrPercent(item, p);
    } else if (k == "settle") {
      SettleSpec settle;
      Fields(item, p, [&](const std::string& sk, const value& sv, const std::string& sp) {
        if (sk == "workloadsReady") {
          settle.workloads_ready = Bool(sv, sp);
        } else if (sk == "delay") {
          settle.delay = DurationField(sv, sp);
        } else {
          return false;
        }
        return true;
      });
      s.settle = settle;
    } else {
      return false;
    }
    // null means "not set" for the API server too; a present field is recorded by name.
    s.fields_present.insert(p);
    return true;
  });
  // Not recorded in fields_present: the document did not name it.
  if (s.plugins.empty()) s.plugins.push_back({kDefaultPlugin, {}});
  return s;
}

// Status is written by the controller; be tolerant of fields it does not know (a newer
// controller may have written them) but strict about types.
UpdateRunStatus DecodeStatus(const value& v) {
  UpdateRunStatus st;
  if (v.is_null()) return st;
  Expect(v, value::Object, "status", "object");
  std::vector<NodeResult> grouped;  // status.succeededNodes, after status.nodes
  for (const auto& [k, item] : v.as_object()) {
    const std::string p = "status." + k;
    if (k == "phase") {
      st.phase = Enum(kRunPhaseNames, item, p);
    } else if (k == "observedGeneration") {
      st.observed_generation = Int64(item, p);
    } else if (k == "revision") {
      st.revision = Int64(item, p);
    } else if (k == "plan") {
      // Written by earlier versions; the node list's order is the plan.
    } else if (k == "appliedSpec") {
      Expect(item, value::Object, p, "object");
      st.applied_spec = item.serialize();
    } else if (k == "nodesTotal") {
      st.nodes_total = Int(item, p);
    } else if (k == "nodesSucceeded") {
      st.nodes_succeeded = Int(item, p);
    } else if (k == "nodesFailed") {
      st.nodes_failed = Int(item, p);
    } else if (k == "startTime") {
      st.start_time = Time(item, p);
    } else if (k == "completionTime") {
      st.completion_time = Time(item, p);
    } else if (k == "succeededNodes") {
      Expect(item, value::Array, p, "array");
      size_t i = 0;
      for (const auto& g : item.as_array()) {
        const std::string gp = p + "[" + std::to_string(i++) + "]";
        Expect(g, value::Object, gp, "object");
        NodeResult r;
        r.phase = NodePhase::kSucceeded;
        if (g.has_field("attempts")) r.attempts = Int(g.at("attempts"), gp + ".attempts");
        if (g.has_field("updatesInstalled")) {
          r.updates_installed = Int(g.at("updatesInstalled"), gp + ".updatesInstalled");
        }
        if (g.has_field("rebooted")) r.rebooted = Bool(g.at("rebooted"), gp + ".rebooted");
        r.message = NodeSucceededMessage(r.updates_installed, r.rebooted);
        if (!g.has_field("names")) continue;
        for (const auto& name : Strings(g.at("names"), gp + ".names")) {
          r.name = name;
          grouped.push_back(r);
        }
      }
    } else if (k == "upToDateNodes") {
      for (const auto& name : Strings(item, p)) {
        NodeResult r;
        r.name = name;
        r.phase = NodePhase::kSkipped;
        r.message = kNoUpdatesApply;
        grouped.push_back(r);
      }
    } else if (k == "batches") {
      Expect(item, value::Array, p, "array");
      size_t i = 0;
      for (const auto& b : item.as_array()) {
        st.batches.push_back(Strings(b, p + "[" + std::to_string(i++) + "]"));
      }
    } else if (k == "conditions") {
      Expect(item, value::Array, p, "array");
      size_t i = 0;
      for (const auto& c : item.as_array()) {
        const std::string cp = p + "[" + std::to_string(i++) + "]";
        Expect(c, value::Object, cp, "object");
        Condition cond;
        for (const auto& [ck, cv] : c.as_object()) {
          const std::string ccp = cp + "." + ck;
          if (ck == "type") cond.type = String(cv, ccp);
          if (ck == "status") cond.status = String(cv, ccp);
          if (ck == "reason") cond.reason = String(cv, ccp);
          if (ck == "message") cond.message = String(cv, ccp);
          if (ck == "lastTransitionTime") cond.last_transition_time = Time(cv, ccp);
          if (ck == "observedGeneration") cond.observed_generation = Int64(cv, ccp);
        }
        st.conditions.push_back(std::move(cond));
      }
    } else if (k == "nodes") {
      Expect(item, value::Array, p, "array");
      size_t i = 0;
      for (const auto& n : item.as_array()) {
        const std::string np = p + "[" + std::to_string(i++) + "]";
        Expect(n, value::Object, np, "object");
        NodeResult r;
        for (const auto& [nk, nv] : n.as_object()) {
          const std::string nnp = np + "." + nk;
          if (nk == "name") r.name = String(nv, nnp);
          if (nk == "phase") r.phase = Enum(kNodePhaseNames, nv, nnp);
          if (nk == "attempts") r.attempts = Int(nv, nnp);
          if (nk == "round") r.round = Int(nv, nnp);
          if (nk == "updatesInstalled") r.updates_installed = Int(nv, nnp);
          if (nk == "updatesFound") r.updates_found = Int(nv, nnp);
          if (nk == "rebooted") r.rebooted = Bool(nv, nnp);
          if (nk == "rebootKind") r.reboot_kind = String(nv, nnp);
          if (nk == "staged") r.staged = Bool(nv, nnp);
          if (nk == "bootIDBefore") r.boot_id_before = String(nv, nnp);
          if (nk == "wasUnschedulable") r.was_unschedulable = Bool(nv, nnp);
          if (nk == "requestToken") r.request_token = String(nv, nnp);
          if (nk == "message") r.message = String(nv, nnp);
          if (nk == "startTime") r.start_time = Time(nv, nnp);
          if (nk == "phaseTime") r.phase_time = Time(nv, nnp);
          if (nk == "finishTime") r.finish_time = Time(nv, nnp);
          if (nk == "restoreTo") r.restore_to = Enum(kNodePhaseNames, nv, nnp);
        }
        st.plan.push_back(r.name);
        st.nodes.push_back(std::move(r));
      }
    }
  }
  for (auto& r : grouped) {
    st.plan.push_back(r.name);
    st.nodes.push_back(std::move(r));
  }
  return st;
}

// ----------------------------------------------------------------------------- writer

value Str(const std::string& s) { return value::string(s); }

value StrArray(const std::vector<std::string>& items) {
  value arr = value::array(items.size());
  for (size_t i = 0; i < items.size(); ++i) arr[i] = Str(items[i]);
  return arr;
}

value StrMap(const std::map<std::string, std::string>& m) {
  value obj = value::object();
  for (const auto& [k, v] : m) obj[k] = Str(v);
  return obj;
}

// Phases in which a node is being worked on (a staging report matters only then).
bool InFlightPhase(NodePhase p) {
  return p != NodePhase::kPending && p != NodePhase::kSucceeded && p != NodePhase::kFailed &&
         p != NodePhase::kSkipped;
}

// A succeeded node whose entry says nothing a group cannot (see kCompactSucceededAbove).
bool Groupable(const NodeResult& r) {
  return r.phase == NodePhase::kSucceeded && !r.was_unschedulable && r.updates_found == 0 &&
         (r.reboot_kind.empty() || r.reboot_kind == "full") &&
         r.message == NodeSucceededMessage(r.updates_installed, r.rebooted);
}

// A node skipped with nothing to install whose entry says nothing more than that: in a large
// run most nodes may be up to date, so they are listed by name only (upToDateNodes).
bool UpToDate(const NodeResult& r) {
  return r.phase == NodePhase::kSkipped && r.message == kNoUpdatesApply && r.attempts == 0 &&
         r.round == 0 && r.updates_installed == 0 && r.updates_found == 0 && !r.rebooted &&
         r.reboot_kind.empty() && !r.was_unschedulable && !r.restore_to;
}

value EncodeHook(const HookSpec& h) {
  value o = value::object();
  o["configMap"] = Str(h.config_map);
  o["key"] = Str(h.key);
  if (h.timeout_seconds) o["timeoutSeconds"] = value::number(*h.timeout_seconds);
  return o;
}

}  // namespace

StatusOr<UpdateRunSpec> DecodeUpdateRunSpec(const value& spec) {
  try {
    return DecodeSpec(spec);
  } catch (const DecodeError& e) {
    return InvalidArgumentError(e.what());
  }
}

StatusOr<UpdateRunStatus> DecodeUpdateRunStatus(const value& status) {
  try {
    return DecodeStatus(status);
  } catch (const DecodeError& e) {
    return InvalidArgumentError(e.what());
  }
}

StatusOr<UpdateRun> DecodeUpdateRun(const value& object) {
  try {
    Expect(object, value::Object, "(object)", "object");
    UpdateRun run;
    if (!object.has_field("metadata")) Fail("metadata", "missing");
    const value& meta = object.at("metadata");
    Expect(meta, value::Object, "metadata", "object");
    if (!meta.has_field("name")) Fail("metadata.name", "missing");
    run.name = String(meta.at("name"), "metadata.name");
    if (meta.has_field("uid")) run.uid = String(meta.at("uid"), "metadata.uid");
    if (meta.has_field("resourceVersion")) {
      run.resource_version = String(meta.at("resourceVersion"), "metadata.resourceVersion");
    }
    if (meta.has_field("generation"))
      run.generation = Int64(meta.at("generation"), "metadata.generation");
    run.deleting = meta.has_field("deletionTimestamp") && !meta.at("deletionTimestamp").is_null();
    if (meta.has_field("finalizers")) {
      run.finalizers = Strings(meta.at("finalizers"), "metadata.finalizers");
    }
    // A missing spec is an empty one: every node, the default plug-in.
    run.spec = object.has_field("spec") && !object.at("spec").is_null()
                   ? DecodeSpec(object.at("spec"))
                   : DecodeSpec(value::object());
    if (object.has_field("status")) run.status = DecodeStatus(object.at("status"));
    return run;
  } catch (const DecodeError& e) {
    return InvalidArgumentError(e.what());
  }
}

value EncodeUpdateRunSpec(const UpdateRunSpec& s) {
  value o = value::object();
  if (s.node_selector) {
    value sel = value::object();
    if (!s.node_selector->match_labels.empty()) {
      sel["matchLabels"] = StrMap(s.node_selector->match_labels);
    }
    if (!s.node_selector->match_expressions.empty()) {
      value exprs = value::array();
      size_t i = 0;
      for (const auto& r : s.node_selector->match_expressions) {
        value e = value::object();
        e["key"] = Str(r.key);
        e["operator"] = Str(r.op);
        if (!r.values.empty()) e["values"] = StrArray(r.values);
        exprs[i++] = e;
      }
      sel["matchExpressions"] = exprs;
    }
    o["nodeSelector"] = sel;
  }
  if (!s.plugins.empty() || s.fields_present.count("spec.plugins")) {
    value arr = value::array();
    size_t i = 0;
    for (const auto& p : s.plugins) {
      value e = value::object();
      e["name"] = Str(p.name);
      if (!p.arguments.empty()) e["arguments"] = StrMap(p.arguments);
      arr[i++] = e;
    }
    o["plugins"] = arr;
  }
  auto put_bool = [&](const char* k, const std::optional<bool>& b) {
    if (b) o[k] = value::boolean(*b);
  };
  auto put_int = [&](const char* k, const std::optional<int>& n) {
    if (n) o[k] = value::number(*n);
  };
  put_bool("runPluginsSerially", s.run_plugins_serially);
  put_bool("stopOnPluginFailure", s.stop_on_plugin_failure);
  put_bool("separateReboots", s.separate_reboots);
  put_int("maxFailedNodes", s.max_failed_nodes);
  put_int("maxRetriesPerNode", s.max_retries_per_node);
  if (!s.node_order.empty()) o["nodeOrder"] = StrArray(s.node_order);
  if (!s.site_aware_updating_order.empty()) {
    o["siteAwareUpdatingOrder"] = StrArray(s.site_aware_updating_order);
  }
  if (s.pre_update_hook) o["preUpdateHook"] = EncodeHook(*s.pre_update_hook);
  if (s.post_update_hook) o["postUpdateHook"] = EncodeHook(*s.post_update_hook);
  if (s.hook_runner) {
    value h = value::object();
    if (!s.hook_runner->service_account_name.empty()) {
      h["serviceAccountName"] = Str(s.hook_runner->service_account_name);
    }
    if (s.hook_runner->run_as_user) h["runAsUser"] = value::number(*s.hook_runner->run_as_user);
    o["hookRunner"] = h;
  }
  put_bool("requireAllNodesOnline", s.require_all_nodes_online);
  if (s.warn_after) o["warnAfter"] = Str(FormatDuration(*s.warn_after));
  if (s.stop_after) o["stopAfter"] = Str(FormatDuration(*s.stop_after));
  put_int("rebootTimeoutMinutes", s.reboot_timeout_minutes);
  put_int("drainTimeoutMinutes", s.drain_timeout_minutes);
  put_int("agentTimeoutMinutes", s.agent_timeout_minutes);
  if (s.drain) o["drain"] = Str(DrainModeName(*s.drain));
  put_bool("forceReboot", s.force_reboot);
  if (s.failback_mode) o["failbackMode"] = Str(FailbackModeName(*s.failback_mode));
  if (s.reboot_mode) o["rebootMode"] = Str(RebootModeName(*s.reboot_mode));
  put_bool("attemptSoftReboot", s.attempt_soft_reboot);
  put_bool("osRollingUpgrade", s.os_rolling_upgrade);
  put_bool("skipUpdateChecks", s.skip_update_checks);
  put_bool("forceSelfUpdate", s.force_self_update);
  put_bool("whatIf", s.what_if);
  put_bool("forceRecovery", s.force_recovery);
  if (s.mode) o["mode"] = Str(RunModeName(*s.mode));
  put_bool("stop", s.stop);
  if (s.max_unavailable) {
    o["maxUnavailable"] = s.max_unavailable->percent
                              ? Str(std::to_string(s.max_unavailable->value) + "%")
                              : value::number(s.max_unavailable->value);
  }
  if (s.settle) {
    value st = value::object();
    if (s.settle->workloads_ready)
      st["workloadsReady"] = value::boolean(*s.settle->workloads_ready);
    if (s.settle->delay) st["delay"] = Str(FormatDuration(*s.settle->delay));
    o["settle"] = st;
  }
  return o;
}

value EncodeUpdateRunStatus(const UpdateRunStatus& st) {
  value o = value::object();
  o["phase"] = Str(RunPhaseName(st.phase));
  if (st.observed_generation != 0) o["observedGeneration"] = value::number(st.observed_generation);
  if (st.revision != 0) o["revision"] = value::number(st.revision);
  if (!st.conditions.empty()) {
    value arr = value::array(st.conditions.size());
    for (size_t i = 0; i < st.conditions.size(); ++i) {
      const Condition& c = st.conditions[i];
      value e = value::object();
      e["type"] = Str(c.type);
      e["status"] = Str(c.status);
      e["reason"] = Str(c.reason);
      e["message"] = Str(c.message);
      e["lastTransitionTime"] = Str(FormatRfc3339(c.last_transition_time));
      e["observedGeneration"] = value::number(c.observed_generation);
      arr[i] = e;
    }
    o["conditions"] = arr;
  }
  // The plan is the order of status.nodes: writing it again would double the names'
  // share of a large run's status.
  o["nodesTotal"] = value::number(st.nodes_total);
  o["nodesSucceeded"] = value::number(st.nodes_succeeded);
  o["nodesFailed"] = value::number(st.nodes_failed);
  if (st.start_time) o["startTime"] = Str(FormatRfc3339(*st.start_time));
  if (st.completion_time) o["completionTime"] = Str(FormatRfc3339(*st.completion_time));
  if (!st.applied_spec.empty()) o["appliedSpec"] = value::parse(st.applied_spec);
  if (!st.batches.empty()) {
    value arr = value::array(st.batches.size());
    for (size_t i = 0; i < st.batches.size(); ++i) arr[i] = StrArray(st.batches[i]);
    o["batches"] = arr;
  }
  if (!st.nodes.empty()) {
    const bool compact = st.nodes.size() > kCompactSucceededAbove;
    value arr = value::array();
    size_t n = 0;
    // attempts, updatesInstalled, rebooted -> names: the compact form of succeeded nodes.
    std::map<std::tuple<int, int, bool>, std::vector<std::string>> groups;
    std::vector<std::string> up_to_date;
    for (size_t i = 0; i < st.nodes.size(); ++i) {
      const NodeResult& r = st.nodes[i];
      value e = value::object();
      e["name"] = Str(r.name);
      e["phase"] = Str(NodePhaseName(r.phase));
      if (compact && Groupable(r)) {
        groups[{r.attempts, r.updates_installed, r.rebooted}].push_back(r.name);
        continue;
      }
      if (compact && UpToDate(r)) {
        up_to_date.push_back(r.name);
        continue;
      }
      if (r.attempts != 0) e["attempts"] = value::number(r.attempts);
      if (r.round != 0) e["round"] = value::number(r.round);
      if (r.updates_installed != 0) e["updatesInstalled"] = value::number(r.updates_installed);
      if (r.updates_found != 0) e["updatesFound"] = value::number(r.updates_found);
      if (r.rebooted) e["rebooted"] = value::boolean(true);
      if (!r.reboot_kind.empty()) e["rebootKind"] = Str(r.reboot_kind);
      if (r.staged && InFlightPhase(r.phase)) e["staged"] = value::boolean(true);
      if (!r.boot_id_before.empty()) e["bootIDBefore"] = Str(r.boot_id_before);
      if (r.was_unschedulable) e["wasUnschedulable"] = value::boolean(true);
      if (!r.request_token.empty()) e["requestToken"] = Str(r.request_token);
      if (!r.message.empty()) e["message"] = Str(r.message);
      if (r.start_time) e["startTime"] = Str(FormatRfc3339(*r.start_time));
      if (r.phase_time) e["phaseTime"] = Str(FormatRfc3339(*r.phase_time));
      if (r.finish_time) e["finishTime"] = Str(FormatRfc3339(*r.finish_time));
      if (r.restore_to) e["restoreTo"] = Str(NodePhaseName(*r.restore_to));
      arr[n++] = e;
    }
    if (n > 0) o["nodes"] = arr;
    if (!groups.empty()) {
      value grouped = value::array(groups.size());
      size_t g = 0;
      for (const auto& [key, names] : groups) {
        value e = value::object();
        e["attempts"] = value::number(std::get<0>(key));
        e["updatesInstalled"] = value::number(std::get<1>(key));
        e["rebooted"] = value::boolean(std::get<2>(key));
        e["names"] = StrArray(names);
        grouped[g++] = e;
      }
      o["succeededNodes"] = grouped;
    }
    if (!up_to_date.empty()) o["upToDateNodes"] = StrArray(up_to_date);
  }
  return o;
}

}  // namespace kcau::crd
