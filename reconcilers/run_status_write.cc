#include "reconcilers/run_status_write.h"

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

// The node entries of two status.nodes arrays are patched one by one when they list the
// same nodes in the same order (every pass but the first and a plan change); else the array
// is replaced whole.
bool SameNodeList(const Json& before, const Json& after) {
  if (!before.is_array() || !after.is_array() || before.size() != after.size()) return false;
  for (size_t i = 0; i < before.size(); ++i) {
    const Json& a = before.at(i);
    const Json& b = after.at(i);
    if (!a.has_string_field("name") || !b.has_string_field("name") ||
        a.at("name").as_string() != b.at("name").as_string()) {
      return false;
    }
  }
  return true;
}

}  // namespace

void AppendStatusPatch(const Json& before, const Json& after, Json& ops) {
  size_t n = ops.size();
  for (const auto& [key, value] : after.as_object()) {
    const std::string path = "/status/" + PointerToken(key);
    if (!before.has_field(key)) {
      ops[n++] = PatchOp("add", path, &value);
      continue;
    }
    const Json& old = before.at(key);
    if (old == value) continue;
    if (key == "nodes" && SameNodeList(old, value)) {
      for (size_t i = 0; i < value.size(); ++i) {
        if (old.at(i) == value.at(i)) continue;
        ops[n++] = PatchOp("replace", path + "/" + std::to_string(i), &value.at(i));
      }
      continue;
    }
    ops[n++] = PatchOp("replace", path, &value);
  }
  for (const auto& [key, value] : before.as_object()) {
    if (!after.has_field(key)) ops[n++] = PatchOp("remove", "/status/" + PointerToken(key));
  }
}

// The compare-and-swap is on the spec's generation and status.revision rather than on
// resourceVersion: labels and annotations leave both alone and so cannot starve a run of
// status writes. A JSON patch's test operations do it, on integers only: the API server
// compares scalars by their JSON bytes, and Go and cpprest escape some characters of free
// text differently. A failed test comes back as 422 "testing value PATH failed", a conflict
// here.
StatusOr<Json> WriteRunStatus(kube::KubeClient& client, const std::string& run_name,
                              const crd::UpdateRun& decided_from, const Json& read, Json status) {
  status["revision"] = Json::number(decided_from.status.revision + 1);
  if (decided_from.status.revision == 0 || decided_from.generation == 0) {
    Json updated = read;
    updated["status"] = status;
    return WriteStatusOnResourceVersion(client, run_name, decided_from, updated);
  }
  const Json generation = Json::number(decided_from.generation);
  const Json revision = Json::number(decided_from.status.revision);
  Json patch = Json::array();
  patch[0] = PatchOp("test", "/metadata/generation", &generation);
  patch[1] = PatchOp("test", "/status/revision", &revision);
  // Only what changed goes: a pass that moves three nodes of 5,000 sends three entries, not
  // the whole status (the API server still stores and sends the whole object).
  if (read.has_object_field("status")) {
    AppendStatusPatch(read.at("status"), status, patch);
  } else {
    patch[2] = PatchOp("add", "/status", &status);
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
