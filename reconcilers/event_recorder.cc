#include "reconcilers/event_recorder.h"

#include <openssl/evp.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

#include "kube/kube_client.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers {

using kube::Json;

// client-go's aggregation key, less the source (always this controller), digested.
EventRecorder::SeriesKey EventRecorder::KeyOf(const std::string& run_name,
                                              const std::string& run_uid, const RunEvent& event) {
  const std::string key =
      run_name + '\0' + run_uid + '\0' + event.type + '\0' + event.reason + '\0' + event.message;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(key.data(), key.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 is not available from OpenSSL");
  }
  EventRecorder::SeriesKey out;
  std::memcpy(out.data(), digest, out.size());
  return out;
}

Status EventRecorder::Record(const std::string& run_name, const std::string& run_uid,
                             const RunEvent& event) {
  const SeriesKey key = KeyOf(run_name, run_uid, event);
  const MonoTime now = clock_.Monotonic();
  Series repeat;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ForgetEndedLocked(now);
    auto it = series_.find(key);
    if (it != series_.end()) {
      it->second.count++;
      it->second.last = now;
      repeat = it->second;
    }
  }
  if (!repeat.name.view().empty()) {
    Status s = Repeat(repeat);
    if (s.code() != StatusCode::kNotFound) return s;
    // Its Event is gone: start a new series below.
  }
  return Create(run_name, run_uid, event, key);
}

void EventRecorder::ForgetEndedLocked(MonoTime now) {
  if (now - last_sweep_ < kSeriesWindow / 10) return;  // a sweep a minute is plenty
  last_sweep_ = now;
  for (auto it = series_.begin(); it != series_.end();) {
    it = now - it->second.last > kSeriesWindow ? series_.erase(it) : std::next(it);
  }
}

Status EventRecorder::Repeat(const Series& series) {
  Json patch = Json::object();
  patch["count"] = Json::number(series.count);
  patch["lastTimestamp"] = Json::string(FormatRfc3339(clock_.Now()));
  auto patched = client_.Patch(kube::resources::Events(), {namespace_, std::string(series.name)},
                               kube::PatchType::kMerge, patch);
  return patched.ok() ? Status::Ok() : patched.status();
}

Status EventRecorder::Create(const std::string& run_name, const std::string& run_uid,
                             const RunEvent& event, const SeriesKey& series_key) {
  const TimePoint now = clock_.Now();
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  // The API server's own naming: object name, a dot, a unique suffix. A run name near the
  // 253-character limit is shortened so the Event's name stays a valid one (the API server
  // refuses longer names, and the Event would be lost).
  const std::string suffix =
      "." + std::to_string(nanos) + "." + std::to_string(sequence_.fetch_add(1));
  constexpr size_t kMaxName = 253;
  std::string prefix = run_name.substr(0, kMaxName - suffix.size());
  while (!prefix.empty() && (prefix.back() == '.' || prefix.back() == '-')) prefix.pop_back();
  const std::string name = prefix + suffix;

  Json ev = Json::object();
  ev["apiVersion"] = Json::string("v1");
  ev["kind"] = Json::string("Event");
  ev["metadata"]["name"] = Json::string(name);
  ev["metadata"]["namespace"] = Json::string(namespace_);
  ev["involvedObject"]["apiVersion"] = Json::string("kcau.io/v1alpha1");
  ev["involvedObject"]["kind"] = Json::string("UpdateRun");
  ev["involvedObject"]["name"] = Json::string(run_name);
  if (!run_uid.empty()) ev["involvedObject"]["uid"] = Json::string(run_uid);
  ev["type"] = Json::string(event.type);
  ev["reason"] = Json::string(event.reason);
  ev["message"] = Json::string(event.message);
  ev["source"]["component"] = Json::string("kcau-controller");
  ev["reportingComponent"] = Json::string("kcau-controller");
  ev["firstTimestamp"] = Json::string(FormatRfc3339(now));
  ev["lastTimestamp"] = Json::string(FormatRfc3339(now));
  ev["count"] = Json::number(1);
  auto created = client_.Create(kube::resources::Events(), ev);
  if (!created.ok()) return created.status();
  std::lock_guard<std::mutex> lock(mu_);
  series_[series_key] = Series{FrozenString(name), 1, clock_.Monotonic()};
  return Status::Ok();
}

}  // namespace kcau::reconcilers
