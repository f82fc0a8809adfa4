// klog-style verbosity (`--v N`): V(n) is true when the configured level is at least n. V-logs
// are written at info level, so `--v` adds detail without turning on spdlog's debug noise.
// The levels kcau uses, as Kubernetes components use them:
//   2  a line per state change worth an operator's eye (e.g. each status write)
//   4  a line per reconcile decision (requeue, conflict re-read, nothing to do)
//   6  a line per API request: method, path, status code, latency. Never headers or bodies,
//      so never a token.
// Thread-safety: an atomic; set once at start.
#pragma once

namespace kcau {

void SetVerbosity(int level);
bool V(int level);

}  // namespace kcau
