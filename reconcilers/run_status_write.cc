#include "reconcilers/run_status_write.h"

#include <algorithm>
#include <functional>

#include "crd/updaterun_codec.h"
#include "kube/kube_client.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

// Writes a status with an update on the resourceVersion read: the run's first status (or one
// written by a kcau without status.revision). A 409 whose cause touched neither the spec nor
// the status (someone annotated or labelled the run) does not invalidate the decision: it is
// written again on the fresh resourceVersion at once. Any other change is a real conflict
// for the caller.
StatusOr<Json> WriteStatusOnResourceVersion(kube::KubeClient& client, const std::string& run_name,
                                            const crd::UpdateRun& decided_from, Json updated) {
  const auto& runs = kube::resources::UpdateRuns();
  for (int attempt = 0;; ++attempt) {
    auto written = client.UpdateStatus(runs, updated);
    if (written.ok() || written.status().code() != StatusCode::kConflict ||
        attempt == kStatusMetadataRewrites) {
      return written;
    }
    auto latest = client.Get(runs, {"", run_name});
    if (!latest.ok()) return written;
    auto fresh = crd::DecodeUpdateRun(*latest);
    if (!fresh.ok() || fresh->generation != decided_from.generation ||
        fresh->status != decided_from.status || fresh->deleting != decided_from.deleting) {
      return written;  // a real change: decide again
    }
    updated["metadata"] = latest->at("metadata");
  }
}

// evanphx/json-patch's words for a failed test: "testing value PATH failed" ("Testing" in
// older versions).
bool IsFailedPatchTest(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument &&
         (s.message().find("testing value") != std::string::npos ||
          s.message().find("Testing value") != std::string::npos);
}

Json PatchOp(const char* op, const std::string& path, const Json* value = nullptr) {
  Json o = Json::object();
  o["op"] = Json::string(op);
  o["path"] = Json::string(path);
  if (value != nullptr) o["value"] = *value;
  return o;
}

// A JSON pointer's reference token (RFC 6901): "~" and "/" escaped.
std::string PointerToken(const std::string& key) {
  std::string token;
  for (char c : key) {
    if (c == '~') {
      token += "~0";
    } else if (c == '/') {
      token += "~1";
    } else {
      token += c;
    }
  }
  return token;
}

// Two status.nodes arrays, entry by entry. The old one is known by its names and by whether
// an entry is unchanged; the new one by its names and its entries, read from a tree or
// encoded one at a time from the typed results (crd::StatusParts), so that neither whole
// array is needed to diff them (at 5,000 nodes each tree is megabytes).
struct NodeLists {
  size_t before_size;
  std::function<std::string(size_t)> before_name;
  size_t after_size;
  std::function<std::string(size_t)> after_name;
  std::function<Json(size_t)> after_entry;
  // With the same names in the same order: whether entry i is as it was.
  std::function<bool(size_t)> unchanged;

  Json AfterArray() const {
    Json arr = Json::array(after_size);
    for (size_t i = 0; i < after_size; ++i) arr[i] = after_entry(i);
    return arr;
  }
  // The entries are patched one by one when both list the same nodes in the same order
  // (every pass but the first and a plan change); else the array is replaced whole.
  bool SameNames() const {
    if (before_size != after_size) return false;
    for (size_t i = 0; i < after_size; ++i) {
      if (before_name(i) != after_name(i)) return false;
    }
    return true;
  }
};

// `before` is the old status (its "nodes", if any, is ignored: `nodes` tells of it);
// `after_head` is the new status without "nodes".
void AppendPatch(const Json& before, const Json& after_head, const NodeLists& nodes, Json& ops) {
  size_t n = ops.size();
  for (const auto& [key, value] : after_head.as_object()) {
    const std::string path = "/status/" + PointerToken(key);
    if (!before.has_field(key)) {
      ops[n++] = PatchOp("add", path, &value);
    } else if (before.at(key) != value) {
      ops[n++] = PatchOp("replace", path, &value);
    }
  }
  if (nodes.after_size > 0) {
    if (nodes.before_size == 0) {
      const Json arr = nodes.AfterArray();  // "add" replaces an empty array, if one is there
      ops[n++] = PatchOp("add", "/status/nodes", &arr);
    } else if (nodes.SameNames()) {
      for (size_t i = 0; i < nodes.after_size; ++i) {
        if (nodes.unchanged(i)) continue;
        const Json entry = nodes.after_entry(i);
        ops[n++] = PatchOp("replace", "/status/nodes/" + std::to_string(i), &entry);
      }
    } else {
      const Json arr = nodes.AfterArray();
      ops[n++] = PatchOp("replace", "/status/nodes", &arr);
    }
  } else if (nodes.before_size > 0) {
    ops[n++] = PatchOp("remove", "/status/nodes");
  }
  for (const auto& [key, value] : before.as_object()) {
    if (key != "nodes" && !after_head.has_field(key)) {
      ops[n++] = PatchOp("remove", "/status/" + PointerToken(key));
    }
  }
}

std::string NameIn(const Json& entry) {
  return entry.has_string_field("name") ? entry.at("name").as_string() : "";
}

}  // namespace

void AppendStatusPatch(const Json& before, const Json& after, Json& ops) {
  const Json empty = Json::array();
  const Json& old = before.has_array_field("nodes") ? before.at("nodes") : empty;
  const Json& nodes = after.has_array_field("nodes") ? after.at("nodes") : empty;
  Json head = after;
  if (head.has_field("nodes")) head.erase("nodes");
  AppendPatch(before, head,
              NodeLists{old.size(), [&](size_t i) { return NameIn(old.at(i)); }, nodes.size(),
                        [&](size_t i) { return NameIn(nodes.at(i)); },
                        [&](size_t i) { return nodes.at(i); },
                        [&](size_t i) { return old.at(i) == nodes.at(i); }},
              ops);
}

void AppendStatusPatch(const Json& before, size_t before_listed,
                       const std::vector<crd::NodeResult>& before_nodes,
                       const crd::StatusParts& after, Json& ops) {
  const auto& listed = after.listed;
  // The decoder puts status.nodes' entries first, in their order.
  const size_t old_size = std::min(before_listed, before_nodes.size());
  AppendPatch(before, after.head,
              NodeLists{old_size, [&](size_t i) { return before_nodes[i].name; }, listed.size(),
                        [&](size_t i) { return listed[i]->name; },
                        [&](size_t i) { return crd::EncodeNodeResult(*listed[i]); },
                        [&](size_t i) { return before_nodes[i] == *listed[i]; }},
              ops);
}

size_t TakeStatusNodes(Json& run) {
  if (!run.has_object_field("status")) return 0;
  Json& status = run.at("status");
  if (!status.has_array_field("nodes")) return 0;
  const size_t listed = status.at("nodes").size();
  status.erase("nodes");
  return listed;
}

// The compare-and-swap is on the spec's generation and status.revision rather than on
// resourceVersion: labels and annotations leave both alone and so cannot starve a run of
// status writes. A JSON patch's test operations do it, on integers only: the API server
// compares scalars by their JSON bytes, and Go and cpprest escape some characters of free
// text differently. A failed test comes back as 422 "testing value PATH failed", a conflict
// here.
StatusOr<Json> WriteRunStatus(kube::KubeClient& client, const std::string& run_name,
                              const crd::UpdateRun& decided_from, const Json& read,
                              size_t read_listed_nodes, const crd::UpdateRunStatus& status) {
  const Json revision_written = Json::number(decided_from.status.revision + 1);
  if (decided_from.status.revision == 0 || decided_from.generation == 0) {
    Json updated = read;
    updated["status"] = crd::EncodeUpdateRunStatus(status);
    updated["status"]["revision"] = revision_written;
    return WriteStatusOnResourceVersion(client, run_name, decided_from, updated);
  }
  const Json generation = Json::number(decided_from.generation);
  const Json revision = Json::number(decided_from.status.revision);
  Json patch = Json::array();
  patch[0] = PatchOp("test", "/metadata/generation", &generation);
  patch[1] = PatchOp("test", "/status/revision", &revision);
  // Only what changed goes: a pass that moves three nodes of 5,000 sends three entries, not
  // the whole status (the API server still stores and sends the whole object).
  crd::StatusParts parts = crd::EncodeUpdateRunStatusParts(status);
  parts.head["revision"] = revision_written;
  if (read.has_object_field("status")) {
    AppendStatusPatch(read.at("status"), read_listed_nodes, decided_from.status.nodes, parts,
                      patch);
  } else {
    Json whole = crd::EncodeUpdateRunStatus(status);
    whole["revision"] = revision_written;
    patch[2] = PatchOp("add", "/status", &whole);
  }
  // The answer is the run's metadata only: the whole run would cost both sides another
  // ~400 KiB at 5,000 nodes per pass, and the writer needs its resourceVersion and finalizers.
  auto written = client.Patch(kube::resources::UpdateRuns(), {"", run_name}, kube::PatchType::kJson,
                              patch, /*status_subresource=*/true, kube::Answer::kMetadata);
  if (!written.ok() && IsFailedPatchTest(written.status())) {
    return ConflictError("the spec or status of updaterun " + run_name +
                         " changed since it was read: " + written.status().message());
  }
  return written;
}

}  // namespace kcau::reconcilers
