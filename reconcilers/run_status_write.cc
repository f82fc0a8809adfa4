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

Json PatchOp(const char* op, const char* path, const Json& value) {
  Json o = Json::object();
  o["op"] = Json::string(op);
  o["path"] = Json::string(path);
  o["value"] = value;
  return o;
}

}  // namespace

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
  Json patch = Json::array(3);
  patch[0] = PatchOp("test", "/metadata/generation", Json::number(decided_from.generation));
  patch[1] = PatchOp("test", "/status/revision", Json::number(decided_from.status.revision));
  patch[2] = PatchOp("replace", "/status", status);
  auto written = client.Patch(kube::resources::UpdateRuns(), {"", run_name}, kube::PatchType::kJson,
                              patch, /*status_subresource=*/true);
  if (!written.ok() && IsFailedPatchTest(written.status())) {
    return ConflictError("the spec or status of updaterun " + run_name +
                         " changed since it was read: " + written.status().message());
  }
  return written;
}

}  // namespace kcau::reconcilers
