// Which pods a drain evicts, shared by the reader (counting) and the drain (evicting) so the
// two can never disagree. Adapter-level header: it speaks the API's JSON.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "kube/kube_client.h"

namespace kcau::reconcilers {

// DaemonSet pods come straight back on the node (and tolerate unschedulable), mirror pods
// are the kubelet's static pods: evicting either is pointless, as `kubectl drain` knows.
bool IsDaemonSetOrMirrorPod(const kube::Json& pod);
bool IsTerminating(const kube::Json& pod);
// A pod with no controller (no ownerReference with controller: true) is not recreated once
// evicted: `kubectl drain` refuses it without --force, and so does kcau without drain: Force.
bool HasController(const kube::Json& pod);
// "namespace/name".
std::string PodKey(const kube::Json& pod);

// What a drain and the counts read of one pod: all of the above, without the JSON. The pod
// cache keeps these (pod_store.h), 50,000 of them where JSON trees took five times the memory.
struct PodView {
  std::string ns;
  std::string name;
  std::string node;                   // spec.nodeName; "" while unscheduled
  bool daemon_set_or_mirror = false;  // IsDaemonSetOrMirrorPod
  bool terminating = false;           // IsTerminating
  bool has_controller = false;        // HasController
  std::string Key() const { return ns + "/" + name; }
  bool operator==(const PodView&) const = default;
};
PodView PodViewFromJson(const kube::Json& pod);

}  // namespace kcau::reconcilers
