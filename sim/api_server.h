// kcau-sim's HTTP front door: serves an ObjectStore over the Kubernetes REST protocol that
// kubectl, Debian's python3-kubernetes and kcau's own client speak — discovery, OpenAPI v3
// (so `kubectl apply` validates server-side), get/list/watch/create/update/patch/delete,
// /status, pods/eviction, Table output for `kubectl get`, and Status errors in the API
// server's shape. cpprestsdk stays in the .cc.
//
// Thread-safety: Start/Stop from one thread. Requests run on cpprest's pool once their bodies
// have been read whole, so no handler holds a pool thread waiting (kcau-sim runs a pool of a
// few threads); each watch streams from a thread of its own, so a slow watcher never holds up
// the store.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sim/audit_log.h"
#include "sim/certificates.h"
#include "sim/object_store.h"

namespace kcau::sim {

// Who a bearer token belongs to, as the audit log names it.
struct ClientIdentity {
  std::string user;  // "kubernetes-admin", "system:serviceaccount:kcau-system:kcau-agent"
  std::string node;  // the node the token is bound to (a pod's service-account token)
};

// Whom kcau-sim's own token (bearer_token, bearer_token_file) authenticates, as kubeadm
// names the user of admin.conf; requests without authentication (--insecure-http) are
// system:anonymous's.
inline constexpr char kAdminUser[] = "kubernetes-admin";
inline constexpr char kAnonymousUser[] = "system:anonymous";

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                    // must be set: cpprest cannot bind port 0
  std::string bearer_token;        // empty: no authentication (unless bearer_token_file)
  int max_watch_seconds = 1800;    // server-side cap on a watch's timeoutSeconds
  std::optional<TlsMaterial> tls;  // set: serve HTTPS with this certificate
  // Fault injection: this fraction of resource requests (not discovery or health) is
  // answered before touching the store with one of fail_codes, drawn at random for each
  // (500, or 429 with Retry-After: 1).
  double fail_fraction = 0;
  std::vector<int> fail_codes = {500};
  uint64_t fail_seed = 1;  // the same seed fails the same requests with the same codes
  // A watch that asked for bookmarks (allowWatchBookmarks=true) gets a BOOKMARK event this
  // often, carrying the resourceVersion it has seen everything up to (about a minute on a
  // real API server).
  Duration bookmark_interval = std::chrono::seconds(60);
  // Set: the accepted token is this file's content, re-read whenever the file changes, so a
  // test can rotate credentials under a running client (as a cluster rotates a service
  // account's projected token).
  std::string bearer_token_file;
  // Set: every request for a resource is appended to this file as a line of JSON
  // (sim/audit_log.h), as a real API server's audit log records it.
  std::string audit_log;
  // More bearer tokens, each of one client (the real node agents' own): accepted besides
  // bearer_token, and the audit log names the client.
  std::map<std::string, ClientIdentity> client_tokens;
};

class ApiServer {
 public:
  ApiServer(ObjectStore& store, const Clock& clock, ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  Status Start();
  // Stops serving without closing the listener: every later request is answered 503, the
  // requests being handled finish, every watch stream ends, and the answers already handed
  // to cpprestsdk are sent (5 s at most; false when some were not). After it no request
  // changes the store. A process that is ending calls this, saves, and ends with _Exit:
  // closing the listener races cpprestsdk's own threads writing to the same connections
  // (a SEGV in its epoll reactor under AddressSanitizer).
  bool Quiesce();
  // Quiesce, then closes the listener, for a server that ends before its process does
  // (tests). False when cpprestsdk's listener did
  // not finish closing within a few seconds: now and then its close waits for ever on a
  // connection accepted while it closes (seen on SIGTERM right after a kubectl call). The
  // listener is then left behind, and the caller should end the process with _Exit once its
  // own work is saved, since the library's threads would keep an ordinary exit waiting too.
  bool Stop();
  std::string Url() const;
  // Appends a request that reached the store without HTTP (a simulated kubelet's) to the
  // audit log, if there is one. Safe from any thread.
  void RecordAudit(const AuditEntry& entry);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A port that was free a moment ago on 127.0.0.1 (bind to 0, read, close).
int FindFreePort();

}  // namespace kcau::sim
