// What a KubeClient tells whoever counts its requests (the binaries' rest_client_* metrics):
// one call per HTTP request sent, with its outcome. kube/ depends on this interface only,
// never on a metrics library, so the client stays usable without metrics.
//
// Thread-safety: called from any thread that makes a request; implementations must be safe
// for that, and quick (they run on the request's path).
#pragma once

#include <chrono>
#include <string>

namespace kcau::kube {

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;

  // `method`: the HTTP method ("GET", "POST", "PATCH", ...). `code`: the HTTP status code,
  // or 0 when no answer came (a transport error). `latency`: from sending to the answer's
  // headers (for a watch: until the stream opened).
  virtual void RequestDone(const std::string& method, int code,
                           std::chrono::duration<double> latency) = 0;
};

}  // namespace kcau::kube
