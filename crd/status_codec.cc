// UpdateRun status <-> JSON, including the compact form of a large run's status (see
// kCompactSucceededAbove in crd/updaterun_codec.h). Pure functions, thread-safe.
#include <iterator>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "crd/json_reader.h"
#include "crd/json_writer.h"
#include "crd/names.h"
#include "crd/updaterun_codec.h"

namespace kcau::crd {

namespace {

using jsonio::Bool;
using jsonio::Enum;
using jsonio::Expect;
using jsonio::Int;
using jsonio::Int64;
using jsonio::ItemPath;
using jsonio::Items;
using jsonio::Path;
using jsonio::Str;
using jsonio::StrArray;
using jsonio::String;
using jsonio::Strings;
using jsonio::Time;
using web::json::value;

// ---------------------------------------------------------------------------- decoding

// status.succeededNodes[i]: one NodeResult per name of the group.
void DecodeSucceededGroup(const value& g, const std::string& gp, std::vector<NodeResult>& out) {
  Expect(g, value::Object, gp, "object");
  NodeResult r;
  r.phase = NodePhase::kSucceeded;
  if (g.has_field("attempts")) r.attempts = Int(g.at("attempts"), gp + ".attempts");
  if (g.has_field("updatesInstalled")) {
    r.updates_installed = Int(g.at("updatesInstalled"), gp + ".updatesInstalled");
  }
  if (g.has_field("rebooted")) r.rebooted = Bool(g.at("rebooted"), gp + ".rebooted");
  r.message = NodeSucceededMessage(r.updates_installed, r.rebooted);
  if (!g.has_field("names")) return;
  for (const auto& name : Strings(g.at("names"), gp + ".names")) {
    r.name = name;
    out.push_back(r);
  }
}

Condition DecodeCondition(const value& c, const Path& cp) {
  Expect(c, value::Object, cp, "object");
  Condition cond;
  for (const auto& [ck, cv] : c.as_object()) {
    const Path ccp(cp, ck);
    if (ck == "type") cond.type = String(cv, ccp);
    if (ck == "status") cond.status = String(cv, ccp);
    if (ck == "reason") cond.reason = String(cv, ccp);
    if (ck == "message") cond.message = String(cv, ccp);
    if (ck == "lastTransitionTime") cond.last_transition_time = Time(cv, ccp);
    if (ck == "observedGeneration") cond.observed_generation = Int64(cv, ccp);
  }
  return cond;
}

Blocked DecodeBlocked(const value& b, const Path& bp) {
  Expect(b, value::Object, bp, "object");
  Blocked blocked;
  for (const auto& [k, v] : b.as_object()) {
    const Path kp(bp, k);
    if (k == "reason") blocked.reason = String(v, kp);
    if (k == "message") blocked.message = String(v, kp);
    if (k == "since") blocked.since = Time(v, kp);
  }
  return blocked;
}

value EncodeBlocked(const Blocked& b) {
  value e = value::object();
  e["reason"] = Str(b.reason);
  e["message"] = Str(b.message);
  e["since"] = Str(FormatRfc3339(b.since));
  return e;
}

// status.nodes[i]'s fields, each with its reader. Looked up once per field: a 5,000-node
// status has ~50,000 of them on every pass, and comparing each key with every name was a
// third of the decode.
using NodeFieldReader = void (*)(NodeResult&, const value&, const Path&);

const std::unordered_map<std::string_view, NodeFieldReader>& NodeFieldReaders() {
  static const auto* const readers = new std::unordered_map<std::string_view, NodeFieldReader>{
      {"name", [](NodeResult& r, const value& v, const Path& p) { r.name = String(v, p); }},
      {"phase",
       [](NodeResult& r, const value& v, const Path& p) { r.phase = Enum(kNodePhaseNames, v, p); }},
      {"attempts", [](NodeResult& r, const value& v, const Path& p) { r.attempts = Int(v, p); }},
      {"round", [](NodeResult& r, const value& v, const Path& p) { r.round = Int(v, p); }},
      {"updatesInstalled",
       [](NodeResult& r, const value& v, const Path& p) { r.updates_installed = Int(v, p); }},
      {"updatesFound",
       [](NodeResult& r, const value& v, const Path& p) { r.updates_found = Int(v, p); }},
      {"rebooted", [](NodeResult& r, const value& v, const Path& p) { r.rebooted = Bool(v, p); }},
      {"rebootKind",
       [](NodeResult& r, const value& v, const Path& p) { r.reboot_kind = String(v, p); }},
      {"staged", [](NodeResult& r, const value& v, const Path& p) { r.staged = Bool(v, p); }},
      {"installed",
       [](NodeResult& r, const value& v, const Path& p) { r.installed = String(v, p); }},
      {"bootIDBefore",
       [](NodeResult& r, const value& v, const Path& p) { r.boot_id_before = String(v, p); }},
      {"wasUnschedulable",
       [](NodeResult& r, const value& v, const Path& p) { r.was_unschedulable = Bool(v, p); }},
      {"requestToken",
       [](NodeResult& r, const value& v, const Path& p) { r.request_token = String(v, p); }},
      {"message", [](NodeResult& r, const value& v, const Path& p) { r.message = String(v, p); }},
      {"startTime",
       [](NodeResult& r, const value& v, const Path& p) { r.start_time = Time(v, p); }},
      {"phaseTime",
       [](NodeResult& r, const value& v, const Path& p) { r.phase_time = Time(v, p); }},
      {"finishTime",
       [](NodeResult& r, const value& v, const Path& p) { r.finish_time = Time(v, p); }},
      {"restoreTo", [](NodeResult& r, const value& v,
                       const Path& p) { r.restore_to = Enum(kNodePhaseNames, v, p); }},
      {"blocked",
       [](NodeResult& r, const value& v, const Path& p) { r.blocked = DecodeBlocked(v, p); }},
  };
  return *readers;
}

NodeResult DecodeNode(const value& n, const Path& np) {
  Expect(n, value::Object, np, "object");
  const auto& readers = NodeFieldReaders();
  NodeResult r;
  for (const auto& [nk, nv] : n.as_object()) {
    // A field no reader knows is a newer controller's: tolerated.
    if (auto reader = readers.find(nk); reader != readers.end())
      reader->second(r, nv, Path(np, nk));
  }
  return r;
}

// Status is written by the controller; be tolerant of fields it does not know (a newer
// controller may have written them) but strict about types.
UpdateRunStatus DecodeStatus(const value& v) {
  UpdateRunStatus st;
  if (v.is_null()) return st;
  Expect(v, value::Object, "status", "object");
  // The node lists, decoded after the loop in their order (status.nodes, then the entries
  // folded by outcome) straight into st.nodes, sized once: a pass decodes its run every time,
  // and at 5,000 nodes growing the vectors moved every entry a dozen times.
  const value* nodes = nullptr;
  const value* succeeded = nullptr;
  const value* up_to_date = nullptr;
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
    } else if (k == "blocked") {
      st.blocked = DecodeBlocked(item, p);
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
      succeeded = &item;
    } else if (k == "upToDateNodes") {
      Expect(item, value::Array, p, "array");
      up_to_date = &item;
    } else if (k == "batches") {
      st.batches = Items(item, p, Strings);
    } else if (k == "conditions") {
      st.conditions = Items(item, p, DecodeCondition);
    } else if (k == "nodes") {
      Expect(item, value::Array, p, "array");
      nodes = &item;
    }
  }
  size_t entries = (nodes ? nodes->size() : 0) + (up_to_date ? up_to_date->size() : 0);
  if (succeeded) {
    for (const auto& g : succeeded->as_array()) {
      if (g.is_object() && g.has_array_field("names")) entries += g.at("names").size();
    }
  }
  st.nodes.reserve(entries);
  if (nodes) {
    const Path path("status.nodes");
    size_t i = 0;
    for (const auto& n : nodes->as_array()) st.nodes.push_back(DecodeNode(n, Path(path, i++)));
  }
  if (succeeded) {
    size_t i = 0;
    for (const auto& g : succeeded->as_array()) {
      DecodeSucceededGroup(g, ItemPath("status.succeededNodes", i++), st.nodes);
    }
  }
  if (up_to_date) {
    for (const auto& name : Strings(*up_to_date, "status.upToDateNodes")) {
      NodeResult& r = st.nodes.emplace_back();
      r.name = name;
      r.phase = NodePhase::kSkipped;
      r.message = kNoUpdatesApply;
    }
  }
  st.plan.reserve(st.nodes.size());
  for (const NodeResult& r : st.nodes) st.plan.push_back(r.name);
  return st;
}

// ---------------------------------------------------------------------------- encoding

// Phases in which a node is being worked on (a staging report matters only then).
bool InFlightPhase(NodePhase p) {
  return p != NodePhase::kPending && p != NodePhase::kSucceeded && p != NodePhase::kFailed &&
         p != NodePhase::kSkipped;
}

// A succeeded node whose entry says nothing a group cannot (see kCompactSucceededAbove).
bool Groupable(const NodeResult& r) {
  return r.phase == NodePhase::kSucceeded && !r.was_unschedulable && r.updates_found == 0 &&
         !r.blocked && (r.reboot_kind.empty() || r.reboot_kind == "full") &&
         r.message == NodeSucceededMessage(r.updates_installed, r.rebooted);
}

// A node skipped with nothing to install whose entry says nothing more than that: in a large
// run most nodes may be up to date, so they are listed by name only (upToDateNodes).
bool UpToDate(const NodeResult& r) {
  return r.phase == NodePhase::kSkipped && r.message == kNoUpdatesApply && r.attempts == 0 &&
         r.round == 0 && r.updates_installed == 0 && r.updates_found == 0 && !r.rebooted &&
         r.reboot_kind.empty() && !r.was_unschedulable && !r.restore_to && !r.blocked;
}

value EncodeCondition(const Condition& c) {
  value e = value::object();
  e["type"] = Str(c.type);
  e["status"] = Str(c.status);
  e["reason"] = Str(c.reason);
  e["message"] = Str(c.message);
  e["lastTransitionTime"] = Str(FormatRfc3339(c.last_transition_time));
  e["observedGeneration"] = value::number(c.observed_generation);
  return e;
}

value EncodeNode(const NodeResult& r) {
  value e = value::object();
  e["name"] = Str(r.name);
  e["phase"] = Str(NodePhaseName(r.phase));
  if (r.attempts != 0) e["attempts"] = value::number(r.attempts);
  if (r.round != 0) e["round"] = value::number(r.round);
  if (r.updates_installed != 0) e["updatesInstalled"] = value::number(r.updates_installed);
  if (r.updates_found != 0) e["updatesFound"] = value::number(r.updates_found);
  if (r.rebooted) e["rebooted"] = value::boolean(true);
  if (!r.reboot_kind.empty()) e["rebootKind"] = Str(r.reboot_kind);
  if (r.staged && InFlightPhase(r.phase)) e["staged"] = value::boolean(true);
  if (!r.installed.empty() && InFlightPhase(r.phase)) e["installed"] = Str(r.installed);
  if (!r.boot_id_before.empty()) e["bootIDBefore"] = Str(r.boot_id_before);
  if (r.was_unschedulable) e["wasUnschedulable"] = value::boolean(true);
  if (!r.request_token.empty()) e["requestToken"] = Str(r.request_token);
  if (!r.message.empty()) e["message"] = Str(r.message);
  if (r.start_time) e["startTime"] = Str(FormatRfc3339(*r.start_time));
  if (r.phase_time) e["phaseTime"] = Str(FormatRfc3339(*r.phase_time));
  if (r.finish_time) e["finishTime"] = Str(FormatRfc3339(*r.finish_time));
  if (r.restore_to) e["restoreTo"] = Str(NodePhaseName(*r.restore_to));
  if (r.blocked) e["blocked"] = EncodeBlocked(*r.blocked);
  return e;
}

// For a large run, status.succeededNodes and status.upToDateNodes, in `o`; the results
// status.nodes lists, returned.
std::vector<const NodeResult*> EncodeNodeGroups(const std::vector<NodeResult>& nodes, value& o) {
  const bool compact = nodes.size() > kCompactSucceededAbove;
  std::vector<const NodeResult*> listed;
  // attempts, updatesInstalled, rebooted -> names: the compact form of succeeded nodes.
  std::map<std::tuple<int, int, bool>, std::vector<std::string>> groups;
  std::vector<std::string> up_to_date;
  for (const NodeResult& r : nodes) {
    if (compact && Groupable(r)) {
      groups[{r.attempts, r.updates_installed, r.rebooted}].push_back(r.name);
    } else if (compact && UpToDate(r)) {
      up_to_date.push_back(r.name);
    } else {
      listed.push_back(&r);
    }
  }
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
  return listed;
}

}  // namespace

StatusOr<UpdateRunStatus> DecodeUpdateRunStatus(const value& status) {
  try {
    return DecodeStatus(status);
  } catch (const jsonio::DecodeError& e) {
    return InvalidArgumentError(e.what());
  }
}

value EncodeNodeResult(const NodeResult& result) { return EncodeNode(result); }

value EncodeUpdateRunStatus(const UpdateRunStatus& st) {
  StatusParts parts = EncodeUpdateRunStatusParts(st);
  if (!parts.listed.empty()) {
    value arr = value::array(parts.listed.size());
    for (size_t i = 0; i < parts.listed.size(); ++i) arr[i] = EncodeNode(*parts.listed[i]);
    parts.head["nodes"] = std::move(arr);
  }
  return std::move(parts.head);
}

StatusParts EncodeUpdateRunStatusParts(const UpdateRunStatus& st) {
  value o = value::object();
  o["phase"] = Str(RunPhaseName(st.phase));
  if (st.observed_generation != 0) o["observedGeneration"] = value::number(st.observed_generation);
  if (st.revision != 0) o["revision"] = value::number(st.revision);
  if (!st.conditions.empty()) {
    value arr = value::array(st.conditions.size());
    for (size_t i = 0; i < st.conditions.size(); ++i) arr[i] = EncodeCondition(st.conditions[i]);
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
  if (st.blocked) o["blocked"] = EncodeBlocked(*st.blocked);
  if (!st.batches.empty()) {
    value arr = value::array(st.batches.size());
    for (size_t i = 0; i < st.batches.size(); ++i) arr[i] = StrArray(st.batches[i]);
    o["batches"] = arr;
  }
  StatusParts parts;
  if (!st.nodes.empty()) parts.listed = EncodeNodeGroups(st.nodes, o);
  parts.head = std::move(o);
  return parts;
}

}  // namespace kcau::crd
