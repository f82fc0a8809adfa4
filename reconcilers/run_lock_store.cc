#include "reconcilers/run_lock_store.h"

#include "crd/updaterun_codec.h"
#include "kube/kube_client.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers {

namespace {

using kube::Json;

// metav1.MicroTime; kcau's clock has whole seconds here, so the fraction is zero.
std::string MicroTime(TimePoint t) {
  std::string s = FormatRfc3339(t);
  return s.substr(0, s.size() - 1) + ".000000Z";
}

std::optional<RunLockHolder> HolderOf(const Json& lease) {
  if (!lease.has_object_field("spec")) return std::nullopt;
  const Json& spec = lease.at("spec");
  RunLockHolder h;
  if (spec.has_string_field("holderIdentity")) h.identity = spec.at("holderIdentity").as_string();
  if (spec.has_string_field("renewTime")) {
    h.renew_time = ParseRfc3339(spec.at("renewTime").as_string());
  }
  if (spec.has_integer_field("leaseDurationSeconds")) {
    h.lease_seconds = spec.at("leaseDurationSeconds").as_integer();
  }
  return h;
}

std::vector<std::pair<std::string, std::string>> CordonedBy(const std::vector<NodeView>& nodes) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& n : nodes) {
    if (n.unschedulable && !n.cordoned_by.empty()) out.emplace_back(n.name, n.cordoned_by);
  }
  return out;
}

}  // namespace

RunLockStore::RunLockStore(kube::KubeClient& client, std::string lease_namespace,
                           ElapsedSince& elapsed)
    : client_(client), namespace_(std::move(lease_namespace)), elapsed_(elapsed) {}

StatusOr<RunLockDecision> RunLockStore::Decide(const crd::UpdateRun& run,
                                               const std::vector<NodeView>& nodes, TimePoint now,
                                               bool write) {
  const auto& leases = kube::resources::Leases();
  const std::string name = RunLockName(run.spec);
  const std::string self = RunIdentity(run);
  auto lease = client_.Get(leases, {namespace_, name});
  if (!lease.ok() && lease.status().code() != StatusCode::kNotFound) return lease.status();
  std::optional<RunLockHolder> holder;
  if (lease.ok()) holder = HolderOf(*lease);

  HolderRunState holder_run;
  if (holder && !holder->identity.empty() && holder->identity != self) {
    const std::string holder_name = holder->identity.substr(0, holder->identity.find('/'));
    auto other = client_.Get(kube::resources::UpdateRuns(), {"", holder_name});
    if (!other.ok() && other.status().code() != StatusCode::kNotFound) return other.status();
    if (other.ok()) {
      auto decoded = crd::DecodeUpdateRun(*other);
      if (decoded.ok() && RunIdentity(*decoded) == holder->identity) {
        holder_run.exists = true;
        const auto phase = decoded->status.phase;
        holder_run.active = phase != crd::RunPhase::kSucceeded && phase != crd::RunPhase::kFailed;
        holder_run.left_cordoned =
            NodesLeftCordoned(decoded->status, holder->identity, CordonedBy(nodes));
      }
    }
  }

  RunLockDecision decision =
      DecideRunLock(self, holder, holder_run, run.spec.force_recovery.value_or(false),
                    [this](TimePoint then) { return elapsed_.Since(then); });
  const bool renew_due =
      decision.verdict == RunLockVerdict::kHeld &&
      (!holder->renew_time ||
       elapsed_.Since(*holder->renew_time) >= std::chrono::seconds(holder->lease_seconds / 3));
  if (!write || decision.verdict == RunLockVerdict::kWait ||
      (decision.verdict == RunLockVerdict::kHeld && !renew_due)) {
    return decision;
  }
  Json object = lease.ok() ? *lease : Json::object();
  object["apiVersion"] = Json::string("coordination.k8s.io/v1");
  object["kind"] = Json::string("Lease");
  object["metadata"]["name"] = Json::string(name);
  object["metadata"]["namespace"] = Json::string(namespace_);
  object["metadata"]["labels"]["app.kubernetes.io/managed-by"] = Json::string("kcau");
  Json& spec = object["spec"];
  if (decision.verdict != RunLockVerdict::kHeld) {
    spec["holderIdentity"] = Json::string(self);
    spec["acquireTime"] = Json::string(MicroTime(now));
    const int transitions =
        spec.has_integer_field("leaseTransitions") ? spec.at("leaseTransitions").as_integer() : 0;
    spec["leaseTransitions"] = Json::number(lease.ok() ? transitions + 1 : 0);
  }
  spec["leaseDurationSeconds"] = Json::number(kRunLockLeaseSeconds);
  spec["renewTime"] = Json::string(MicroTime(now));
  auto written = lease.ok() ? client_.Update(leases, object) : client_.Create(leases, object);
  if (!written.ok()) return written.status();
  return decision;
}

Status RunLockStore::Release(const crd::UpdateRun& run, const crd::UpdateRunStatus& status,
                             const std::vector<NodeView>& nodes) {
  const std::string self = RunIdentity(run);
  if (!NodesLeftCordoned(status, self, CordonedBy(nodes)).empty()) {
    return Status::Ok();  // Locked: the target keeps the failed run's lock (see run_lock.h)
  }
  const auto& leases = kube::resources::Leases();
  const std::string name = RunLockName(run.spec);
  auto lease = client_.Get(leases, {namespace_, name});
  if (!lease.ok()) {
    return lease.status().code() == StatusCode::kNotFound ? Status::Ok() : lease.status();
  }
  auto holder = HolderOf(*lease);
  if (!holder || holder->identity != self) return Status::Ok();
  Status deleted = client_.Delete(leases, {namespace_, name});
  return deleted.code() == StatusCode::kNotFound ? Status::Ok() : deleted;
}

}  // namespace kcau::reconcilers
