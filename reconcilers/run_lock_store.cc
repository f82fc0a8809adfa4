#include "reconcilers/run_lock_store.h"

#include <set>

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

constexpr char kManagedByLabel[] = "app.kubernetes.io/managed-by";

}  // namespace

RunLockStore::RunLockStore(kube::KubeClient& client, std::string lease_namespace,
                           ElapsedSince& elapsed)
    : client_(client), namespace_(std::move(lease_namespace)), elapsed_(elapsed) {}

StatusOr<RunLockStore::Holder> RunLockStore::ReadHolder(const std::string& identity,
                                                        const std::vector<NodeView>& nodes) {
  Holder h;
  const std::string holder_name = identity.substr(0, identity.find('/'));
  auto other = client_.Get(kube::resources::UpdateRuns(), {"", holder_name});
  if (!other.ok() && other.status().code() != StatusCode::kNotFound) return other.status();
  if (!other.ok()) return h;
  auto decoded = crd::DecodeUpdateRun(*other);
  if (!decoded.ok() || RunIdentity(*decoded) != identity) return h;
  h.state.exists = true;
  const auto phase = decoded->status.phase;
  h.state.active = phase != crd::RunPhase::kSucceeded && phase != crd::RunPhase::kFailed;
  h.state.left_cordoned = NodesLeftCordoned(decoded->status, identity, CordonedBy(nodes));
  if (h.state.active) {
    // Its plan once it has one; before that, what its selector takes now (it holds the lock
    // from before its plan is written).
    h.nodes =
        decoded->status.plan.empty() ? SelectedNodes(decoded->spec, nodes) : decoded->status.plan;
  } else {
    h.nodes = h.state.left_cordoned;
  }
  return h;
}

StatusOr<RunLockDecision> RunLockStore::Decide(const crd::UpdateRun& run,
                                               const std::vector<NodeView>& nodes, TimePoint now,
                                               bool write) {
  // One start at a time: two runs deciding together could each miss the other's new Lease.
  // (Only the leader acts, so a mutex in this process is enough.)
  std::lock_guard<std::mutex> starting(mu_);
  const auto& leases = kube::resources::Leases();
  const std::string name = RunLockName(run.spec);
  const std::string self = RunIdentity(run);
  auto lease = client_.Get(leases, {namespace_, name});
  if (!lease.ok() && lease.status().code() != StatusCode::kNotFound) return lease.status();
  std::optional<RunLockHolder> holder;
  if (lease.ok()) holder = HolderOf(*lease);

  HolderRunState holder_run;
  if (holder && !holder->identity.empty() && holder->identity != self) {
    auto read = ReadHolder(holder->identity, nodes);
    if (!read.ok()) return read.status();
    holder_run = read->state;
  }

  const ElapsedFn elapsed = [this](TimePoint then) { return elapsed_.Since(then); };
  RunLockDecision decision =
      DecideRunLock(self, holder, holder_run, run.spec.force_recovery.value_or(false), elapsed);
  std::vector<std::string> recovered_leases;
  if (decision.verdict == RunLockVerdict::kTake || decision.verdict == RunLockVerdict::kRecover) {
    // This target's lock is ours to take; the nodes must also be free of every other run's,
    // whatever its selector (runs over "zone=a" and over all nodes share zone a's nodes).
    auto others = OverlappingHolders(run, name, nodes, elapsed);
    if (!others.ok()) return others.status();
    if (others->wait) return *others->wait;
    recovered_leases = others->recovered_leases;
    if (!others->recovered.empty()) {
      decision = {RunLockVerdict::kRecover,
                  (decision.verdict == RunLockVerdict::kRecover ? decision.message + "; " : "") +
                      others->recovered};
    }
  }
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
  object["metadata"]["labels"][kManagedByLabel] = Json::string("kcau");
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
  for (const auto& other : recovered_leases) {
    // Taken over (forceRecovery): its nodes are this run's now, recorded in this run's lock.
    Status deleted = client_.Delete(leases, {namespace_, other});
    if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
  }
  return decision;
}

StatusOr<RunLockStore::Overlap> RunLockStore::OverlappingHolders(const crd::UpdateRun& run,
                                                                 const std::string& own_lease,
                                                                 const std::vector<NodeView>& nodes,
                                                                 const ElapsedFn& elapsed) {
  const auto& leases = kube::resources::Leases();
  kube::ListOptions only_kcau;
  only_kcau.label_selector = std::string(kManagedByLabel) + "=kcau";
  auto listed = client_.List(leases, namespace_, only_kcau);
  if (!listed.ok()) return listed.status();
  const std::string self = RunIdentity(run);
  const std::vector<std::string> mine = SelectedNodes(run.spec, nodes);
  const std::set<std::string> wanted(mine.begin(), mine.end());
  Overlap overlap;
  for (const auto& lease : listed->items) {
    const std::string lease_name = lease.at("metadata").at("name").as_string();
    if (lease_name == own_lease || lease_name.rfind(kRunLockPrefix, 0) != 0) continue;
    auto holder = HolderOf(lease);
    if (!holder || holder->identity.empty() || holder->identity == self) continue;
    auto read = ReadHolder(holder->identity, nodes);
    if (!read.ok()) return read.status();
    std::vector<std::string> shared;
    for (const auto& n : read->nodes) {
      if (wanted.count(n)) shared.push_back(n);
    }
    if (shared.empty()) continue;
    RunLockDecision d =
        DecideRunLock(self, holder, read->state, run.spec.force_recovery.value_or(false), elapsed);
    const std::string held = "node(s) " + JoinNames(shared) + " of this run are held by ";
    if (d.verdict == RunLockVerdict::kWait) {
      overlap.wait = RunLockDecision{RunLockVerdict::kWait, held + d.message};
      return overlap;
    }
    if (d.verdict == RunLockVerdict::kRecover) {
      overlap.recovered += (overlap.recovered.empty() ? "" : "; ") + held + d.message;
      overlap.recovered_leases.push_back(lease_name);
    }
    // kTake: that holder ended cleanly or is gone; its Lease holds nothing.
  }
  return overlap;
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
