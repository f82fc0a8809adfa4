#include "reconcilers/run_status_write.h"

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

// The new status.nodes array, entry by entry: read from a tree, or encoded one at a time
// from the typed results (crd::StatusParts), so the whole array is never built to be diffed.
struct NodeEntries {
  size_t size;
  std::function<std::string(size_t)> name;
  std::function<Json(size_t)> entry;
  Json Array() const {
    Json arr = Json::array(size);
    for (size_t i = 0; i < size; ++i) arr[i] = entry(i);
    return arr;
  }
};

// The node entries of two status.nodes arrays are patched one by one when they list the
// same nodes in the same order (every pass but the first and a plan change); else the array
// is replaced whole.
bool SameNodeList(const Json& before, const NodeEntries& after) {
  if (!before.is_array() || before.size() != after.size) return false;
  for (size_t i = 0; i < after.size; ++i) {
    const Json& a = before.at(i);
    if (!a.has_string_field("name") || a.at("name").as_string() != after.name(i)) return false;
  }
  return true;
}

// `after_head` is the new status without "nodes"; `after_nodes` its "nodes", none when empty.
void AppendPatch(const Json& before, const Json& after_head, const NodeEntries& after_nodes,
                 Json& ops) {
  size_t n = ops.size();
  for (const auto& [key, value] : after_head.as_object()) {
    const std::string path = "/status/" + PointerToken(key);
    if (!before.has_field(key)) {
      ops[n++] = PatchOp("add", path, &value);
    } else if (before.at(key) != value) {
      ops[n++] = PatchOp("replace", path, &value);
    }
  }
  if (after_nodes.size > 0) {
    if (!before.has_field("nodes")) {
      const Json arr = after_nodes.Array();
      ops[n++] = PatchOp("add", "/status/nodes", &arr);
    } else if (const Json& old = before.at("nodes"); SameNodeList(old, after_nodes)) {
      for (size_t i = 0; i < after_nodes.size; ++i) {
        const Json entry = after_nodes.entry(i);
        if (old.at(i) == entry) continue;
        ops[n++] = PatchOp("replace", "/status/nodes/" + std::to_string(i), &entry);
      }
    } else {
      const Json arr = after_nodes.Array();
      ops[n++] = PatchOp("replace", "/status/nodes", &arr);
    }
  }
  for (const auto& [key, value] : before.as_object()) {
    const bool kept = key == "nodes" ? after_nodes.size > 0 : after_head.has_field(key);
    if (!kept) ops[n++] = PatchOp("remove", "/status/" + PointerToken(key));
  }
}

}  // namespace

void AppendStatusPatch(const Json& before, const Json& after, Json& ops) {
  Json head = after;
  const Json nodes = head.has_array_field("nodes") ? head.at("nodes") : Json::array();
  if (head.has_field("nodes")) head.erase("nodes");
  AppendPatch(before, head,
              NodeEntries{nodes.size(),
                          [&](size_t i) {
                            const Json& e = nodes.at(i);
                            return e.has_string_field("name") ? e.at("name").as_string() : "";
                          },
                          [&](size_t i) { return nodes.at(i); }},
              ops);
}

void AppendStatusPatch(const Json& before, const crd::StatusParts& after, Json& ops) {
  const auto& listed = after.listed;
  AppendPatch(before, after.head,
              NodeEntries{listed.size(), [&](size_t i) { return listed[i]->name; },
                          [&](size_t i) { return crd::EncodeNodeResult(*listed[i]); }},
              ops);
}

// The compare-and-swap is on the spec's generation and status.revision rather than on
// resourceVersion: labels and annotations leave both alone and so cannot starve a run of
// status writes. A JSON patch's test operations do it, on integers only: the API server
// compares scalars by their JSON bytes, and Go and cpprest escape some characters of free
// text differently. A failed test comes back as 422 "testing value PATH failed", a conflict
// here.
StatusOr<Json> WriteRunStatus(kube::KubeClient& client, const std::string& run_name,
                              const crd::UpdateRun& decided_from, const Json& read,
                              const crd::UpdateRunStatus& status) {
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
    AppendStatusPatch(read.at("status"), parts, patch);
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
