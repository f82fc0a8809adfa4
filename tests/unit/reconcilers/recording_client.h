// A KubeClient that forwards every call to another and records the request, as RBAC names it
// (verb, resource, subresource, name), the way sample-controller's tests read their fake
// clientset's actions: tests assert on the requests the reconciler made, in order, not only
// on their effects. An Event's name is the API server's unique one, so its record carries
// the Event's reason instead ("create events RunStarted").
//
// Thread-safety: safe from any thread, as the client it wraps.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kube/kube_client.h"

namespace kcau::reconcilers::testing {

class RecordingClient : public kube::KubeClient {
 public:
  explicit RecordingClient(kube::KubeClient& next) : next_(next) {}

  // Every request so far, as "verb resource[/subresource] name" ("patch updateruns/status
  // run", "create pods/eviction n1-web", "list nodes").
  std::vector<std::string> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // The requests that change something: no get, list or watch.
  std::vector<std::string> Writes() const {
    std::vector<std::string> writes;
    for (const auto& r : Requests()) {
      if (r.rfind("get ", 0) != 0 && r.rfind("list ", 0) != 0 && r.rfind("watch ", 0) != 0) {
        writes.push_back(r);
      }
    }
    return writes;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.clear();
  }
  // The next request recorded as `request` fails with `status` instead of being forwarded.
  void FailNext(std::string request, Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_.emplace_back(std::move(request), std::move(status));
  }

  // The next patch recorded as `request` is forwarded, then, if it was applied, reported
  // failed with `status`: a write whose answer was lost (a timeout after the API server
  // acted).
  void FailNextAfterApplying(std::string request, Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_after_.emplace_back(std::move(request), std::move(status));
  }
  // The next request recorded as `request` waits, before it is forwarded, until Release():
  // a request still on its way while the test does something else. WaitUntilHeld: whether it
  // came and waits, within 10 s. A test releases it before it ends, whatever happens: the
  // reconciler waits for its jobs when it goes.
  void HoldNext(std::string request) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = std::move(request);
    released_ = false;
  }
  bool WaitUntilHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [this] { return holding_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    changed_.notify_all();
  }

  StatusOr<kube::Json> Get(const kube::Resource& r, const kube::ObjectKey& key) override {
    if (Status failed = Record("get", r.plural, key.name); !failed.ok()) return failed;
    return next_.Get(r, key);
  }
  StatusOr<kube::ObjectList> List(const kube::Resource& r, const std::string& ns,
                                  const kube::ListOptions& options) override {
    if (Status failed = Record("list", r.plural, ""); !failed.ok()) return failed;
    return next_.List(r, ns, options);
  }
  StatusOr<kube::Json> Create(const kube::Resource& r, const kube::Json& object) override {
    if (Status failed = Record("create", r.plural,
                               r.plural == "events" ? Field(object, "reason") : NameOf(object));
        !failed.ok())
      return failed;
    return next_.Create(r, object);
  }
  StatusOr<kube::Json> Update(const kube::Resource& r, const kube::Json& object) override {
    if (Status failed = Record("update", r.plural, NameOf(object)); !failed.ok()) return failed;
    return next_.Update(r, object);
  }
  StatusOr<kube::Json> UpdateStatus(const kube::Resource& r, const kube::Json& object) override {
    if (Status failed = Record("update", r.plural + "/status", NameOf(object)); !failed.ok())
      return failed;
    return next_.UpdateStatus(r, object);
  }
  StatusOr<kube::Json> Patch(const kube::Resource& r, const kube::ObjectKey& key,
                             kube::PatchType type, const kube::Json& patch, bool status_subresource,
                             kube::Answer answer) override {
    const std::string resource = status_subresource ? r.plural + "/status" : r.plural;
    if (Status failed = Record("patch", resource, key.name); !failed.ok()) return failed;
    auto patched = next_.Patch(r, key, type, patch, status_subresource, answer);
    if (!patched.ok()) return patched;
    std::lock_guard<std::mutex> lock(mu_);
    if (Status lost = TakeFailure(failures_after_, "patch " + resource + " " + key.name);
        !lost.ok()) {
      return lost;
    }
    return patched;
  }
  Status Delete(const kube::Resource& r, const kube::ObjectKey& key) override {
    if (Status failed = Record("delete", r.plural, key.name); !failed.ok()) return failed;
    return next_.Delete(r, key);
  }
  Status Evict(const kube::ObjectKey& pod) override {
    if (Status failed = Record("create", "pods/eviction", pod.name); !failed.ok()) return failed;
    return next_.Evict(pod);
  }
  StatusOr<std::unique_ptr<kube::WatchStream>> Watch(const kube::Resource& r, const std::string& ns,
                                                     const kube::ListOptions& options,
                                                     const std::string& resource_version) override {
    if (Status failed = Record("watch", r.plural, ""); !failed.ok()) return failed;
    return next_.Watch(r, ns, options, resource_version);
  }

 private:
  static std::string Field(const kube::Json& object, const char* field) {
    return object.has_string_field(field) ? object.at(field).as_string() : "";
  }
  static std::string NameOf(const kube::Json& object) {
    return object.has_object_field("metadata") ? Field(object.at("metadata"), "name") : "";
  }
  // Records the request; a failure FailNext planted for it, else OK.
  Status Record(const std::string& verb, const std::string& resource, const std::string& name) {
    std::string request = verb + " " + resource;
    if (!name.empty()) request += " " + name;
    std::unique_lock<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (!hold_.empty() && request == hold_) {
      hold_.clear();
      holding_ = true;
      changed_.notify_all();
      changed_.wait(lock, [this] { return released_; });
      holding_ = false;
    }
    return TakeFailure(failures_, request);
  }

  // The first failure planted in `planted` for `request`, taken out; else OK. mu_ held.
  static Status TakeFailure(std::vector<std::pair<std::string, Status>>& planted,
                            const std::string& request) {
    auto it = std::find_if(planted.begin(), planted.end(),
                           [&](const auto& failure) { return failure.first == request; });
    if (it == planted.end()) return Status::Ok();
    Status failure = it->second;
    planted.erase(it);
    return failure;
  }

  kube::KubeClient& next_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;                           // guarded by mu_
  std::vector<std::pair<std::string, Status>> failures_;        // guarded by mu_
  std::vector<std::pair<std::string, Status>> failures_after_;  // guarded by mu_
  std::string hold_;                                            // HoldNext's; guarded by mu_
  bool holding_ = false;                                        // guarded by mu_
  bool released_ = false;                                       // guarded by mu_
  std::condition_variable changed_;                             // holding_ or released_ changed
};

}  // namespace kcau::reconcilers::testing
