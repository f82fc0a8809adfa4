#include "controller/leader_election.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "kube/kube_client.h"

namespace kcau::controller {

namespace {

using kube::Json;

// metav1.MicroTime: RFC 3339 with microseconds.
std::string MicroTime(TimePoint t) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::string base = FormatRfc3339(t);  // ...Z
  char frac[16];
  std::snprintf(frac, sizeof(frac), ".%06lld", static_cast<long long>(micros));
  return base.substr(0, base.size() - 1) + frac + "Z";
}

std::optional<LeaseRecord> RecordOf(const Json& lease) {
  if (!lease.has_object_field("spec")) return LeaseRecord{};
  const Json& spec = lease.at("spec");
  LeaseRecord r;
  if (spec.has_string_field("holderIdentity")) r.holder = spec.at("holderIdentity").as_string();
  if (spec.has_integer_field("leaseDurationSeconds")) {
    r.lease_duration_seconds = spec.at("leaseDurationSeconds").as_integer();
  }
  if (spec.has_string_field("acquireTime")) {
    r.acquire_time = ParseRfc3339(spec.at("acquireTime").as_string());
  }
  if (spec.has_string_field("renewTime"))
    r.renew_time = ParseRfc3339(spec.at("renewTime").as_string());
  if (spec.has_integer_field("leaseTransitions")) {
    r.transitions = spec.at("leaseTransitions").as_integer();
  }
  return r;
}

}  // namespace

LeaseAction DecideLease(const std::optional<LeaseRecord>& current, const std::string& me,
                        Duration unchanged_for) {
  if (!current || current->holder.empty()) return LeaseAction::kAcquire;
  if (current->holder == me) return LeaseAction::kRenew;
  if (!current->renew_time) return LeaseAction::kAcquire;
  // The +1 s is a margin for a renewal on its way while we read.
  const auto expires_after =
      std::chrono::seconds(current->lease_duration_seconds) + std::chrono::seconds(1);
  return unchanged_for >= expires_after ? LeaseAction::kAcquire : LeaseAction::kWait;
}

Duration LeaderElector::UnchangedFor(const std::optional<LeaseRecord>& record) {
  const MonoTime now = clock_.Monotonic();
  if (!observed_ || observed_ != record) {
    observed_ = record;
    observed_at_ = now;
  }
  return std::chrono::duration_cast<Duration>(now - observed_at_);
}

LeaderElector::LeaderElector(kube::KubeClient& client, const Clock& clock,
                             LeaderElectionConfig config)
    : client_(client), clock_(clock), config_(std::move(config)) {}

StatusOr<bool> LeaderElector::TryAcquireOrRenew() {
  const auto& leases = kube::resources::Leases();
  const TimePoint now = clock_.Now();
  auto existing = client_.Get(leases, {config_.lease_namespace, config_.lease_name});
  if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) return existing.status();
  std::optional<LeaseRecord> record;
  if (existing.ok()) record = RecordOf(*existing);
  const LeaseAction action = DecideLease(record, config_.identity, UnchangedFor(record));
  if (action == LeaseAction::kWait) return false;

  Json lease = existing.ok() ? *existing : Json::object();
  lease["apiVersion"] = Json::string("coordination.k8s.io/v1");
  lease["kind"] = Json::string("Lease");
  lease["metadata"]["name"] = Json::string(config_.lease_name);
  lease["metadata"]["namespace"] = Json::string(config_.lease_namespace);
  Json& spec = lease["spec"];
  spec["holderIdentity"] = Json::string(config_.identity);
  spec["leaseDurationSeconds"] = Json::number(static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count()));
  spec["renewTime"] = Json::string(MicroTime(now));
  if (action == LeaseAction::kAcquire) {
    spec["acquireTime"] = Json::string(MicroTime(now));
    const bool changes_hands = record && record->holder != config_.identity;
    spec["leaseTransitions"] =
        Json::number((record ? record->transitions : 0) + (changes_hands ? 1 : 0));
  }
  // The resourceVersion we read makes this a compare-and-swap: if another replica wrote
  // first, ours is a 409 and it keeps the lease.
  auto written = existing.ok() ? client_.Update(leases, lease) : client_.Create(leases, lease);
  if (!written.ok()) {
    if (written.status().code() == StatusCode::kConflict ||
        written.status().code() == StatusCode::kAlreadyExists) {
      return false;
    }
    return written.status();
  }
  return true;
}

bool LeaderElector::WaitFor(Duration d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void LeaderElector::Run(const std::function<void()>& on_started,
                        const std::function<void()>& on_lost) {
  spdlog::info("leader election: {} campaigning for lease {}/{}", config_.identity,
               config_.lease_namespace, config_.lease_name);
  while (!stopping_) {
    auto got = TryAcquireOrRenew();
    if (got.ok() && *got) break;
    if (!got.ok()) spdlog::warn("leader election: {}", got.status().ToString());
    if (!WaitFor(config_.retry_period)) return;
  }
  if (stopping_) return;
  leading_ = true;
  spdlog::info("leader election: {} is the leader", config_.identity);
  on_started();
  auto last_renewal = clock_.Monotonic();
  while (WaitFor(config_.retry_period)) {
    auto renewed = TryAcquireOrRenew();
    if (renewed.ok() && *renewed) {
      last_renewal = clock_.Monotonic();
      continue;
    }
    if (!renewed.ok()) spdlog::warn("leader election: renewing: {}", renewed.status().ToString());
    if (clock_.Monotonic() - last_renewal >= config_.renew_deadline ||
        (renewed.ok() && !*renewed)) {
      // Someone else holds it now, or we could not renew in time: acting on would risk two
      // controllers updating the same nodes.
      leading_ = false;
      spdlog::error("leader election: {} lost the lease", config_.identity);
      on_lost();
      return;
    }
  }
}

void LeaderElector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

Status LeaderElector::Release() {
  if (!leading_) return Status::Ok();
  const auto& leases = kube::resources::Leases();
  auto existing = client_.Get(leases, {config_.lease_namespace, config_.lease_name});
  if (!existing.ok()) return existing.status();
  auto record = RecordOf(*existing);
  if (!record || record->holder != config_.identity) return Status::Ok();
  Json lease = *existing;
  lease["spec"]["holderIdentity"] = Json::string("");
  lease["spec"]["leaseDurationSeconds"] = Json::number(1);
  lease["spec"]["renewTime"] = Json::string(MicroTime(clock_.Now()));
  auto written = client_.Update(leases, lease);
  leading_ = false;
  return written.ok() ? Status::Ok() : written.status();
}

}  // namespace kcau::controller
