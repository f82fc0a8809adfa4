// The node writes (cordon, uncordon, agent requests) the reconciler made that its
// node cache has not shown yet. The cache lags the controller's own writes by a moment, and
// a pass in that moment decides the same write again ("not cordoned yet: cordon"): at 5,000
// nodes those re-sends were several hundred API writes per run. A write is held back while
// the node's cached resourceVersion is still the one the writing pass read (the cache has
// delivered nothing newer), and for kHoldAtMost at most, in case the watch is behind for
// longer; a node version that still lacks the write (someone undid it) gets it again at once.
// Evictions are never held back: a drain polls pods, not the node.
//
// Thread-safety: every method is safe from any thread (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "reconcilers/node_view.h"
#include "reconcilers/rollout_planner.h"

namespace kcau::reconcilers {

class UnseenNodeWrites {
 public:
  static constexpr Duration kHoldAtMost = std::chrono::seconds(5);

  explicit UnseenNodeWrites(const Clock& clock) : clock_(clock) {}
  UnseenNodeWrites(const UnseenNodeWrites&) = delete;
  UnseenNodeWrites& operator=(const UnseenNodeWrites&) = delete;

  // Whether `action` is a node write this reconciler made from the node at `read_version`
  // (its resourceVersion as the deciding pass read it) that the cache has not shown since.
  bool Unseen(const NodeAction& action, const std::string& read_version) const;
  // Whether the last write this reconciler made to the node, within kHoldAtMost, is not in
  // `cached` yet: the cache still at the version the write was decided from, or a later
  // version (someone else's write in between) without the write's effect.
  bool AnyUnseen(const NodeView& cached) const;
  // `action` was written, decided from the node at `read_version`.
  void Written(const NodeAction& action, const std::string& read_version);
  // `action` was sent, decided from the node at `read_version`, and failed in a way that
  // leaves open whether the API server applied it (a timeout, a 5xx, a connection lost):
  // AnyUnseen counts it until the cache shows its effect; Unseen never holds it back, so it
  // is sent again as a failed write is.
  void MaybeWritten(const NodeAction& action, const std::string& read_version);
  // The writes kept: those of the last kHoldAtMost, and some older ones until the next sweep.
  size_t size() const;

 private:
  struct Write {
    NodeAction action;
    std::string read_version;
    MonoTime at;
    bool made = true;  // false: MaybeWritten's
  };
  void Record(const NodeAction& action, const std::string& read_version, bool made);
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Write> last_;  // by node; guarded by mu_
  // Writes older than kHoldAtMost hold nothing back: swept at most once per kHoldAtMost, so
  // the map holds the nodes written lately, not every node a long run ever wrote (at 5,000
  // nodes ~1.7 MB of actions by the run's end). Guarded by mu_.
  MonoTime swept_{};
};

}  // namespace kcau::reconcilers
