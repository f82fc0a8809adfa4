#include "kube/rest_client.h"
#include <cpprest/http_client.h>
#include <cpprest/streams.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <system_error>
#include <utility>

#include "common/verbosity.h"
#include "kube/disruption_budget.h"
#include "kube/line_splitter.h"
#include "kube/object_meta.h"
#include "kube/partial_object_metadata.h"
#include "kube/token_bucket.h"

namespace kcau::kube {

namespace http = web::http;
namespace client = web::http::client;

namespace {

constexpr int kRequestTimeoutSeconds = 60;
constexpr int kWatchTimeoutSeconds = 300;  // server ends the watch; we re-watch
constexpr size_t kWatchChunkBytes = 64 * 1024;

std::string NsOf(const Json& o) {
  return o.has_object_field("metadata") && o.at("metadata").has_string_field("namespace")
             ? o.at("metadata").at("namespace").as_string()
             : "";
}

Status FromHttp(int code, const std::string& body) {
  std::string message = body;
  std::string reason;
  try {
    Json s = Json::parse(body);
    if (s.has_string_field("message")) message = s.at("message").as_string();
    if (s.has_string_field("reason")) reason = s.at("reason").as_string();
    // An eviction a budget refuses names the budget in a DisruptionBudget cause only; keep it
    // in the message (kube/disruption_budget.h reads it back).
    if (s.has_object_field("details") && s.at("details").has_array_field("causes")) {
      for (const auto& cause : s.at("details").at("causes").as_array()) {
        if (cause.has_string_field("reason") && cause.has_string_field("message") &&
            cause.at("reason").as_string() == kDisruptionBudgetCause) {
          message = WithDisruptionBudgetCause(message, cause.at("message").as_string());
        }
      }
    }
  } catch (const std::exception&) {
    // Not a Status object: keep the raw body as the message.
  }
  message = "HTTP " + std::to_string(code) + ": " + message;
  switch (code) {
    case 400:
    case 415:
    case 422:
      return InvalidArgumentError(message);
    case 401:
    case 403:
      return UnauthorizedError(message);
    case 404:
      return NotFoundError(message);
    case 409:
      return reason == "AlreadyExists" ? AlreadyExistsError(message) : ConflictError(message);
    case 410:
      return GoneError(message);
    case 429:
      return TooManyRequestsError(message);
    default:
      return code >= 500 ? UnavailableError(message) : InternalError(message);
  }
}

std::string Query(const ListOptions& o, const std::string& extra = "") {
  std::string q;
  auto add = [&](const std::string& k, const std::string& v) {
    if (v.empty()) return;
    q += (q.empty() ? "?" : "&") + k + "=" + web::uri::encode_data_string(v);
  };
  add("labelSelector", o.label_selector);
  add("fieldSelector", o.field_selector);
  if (!extra.empty()) q += (q.empty() ? "?" : "&") + extra;
  return q;
}

// cpprest reports a failed certificate check only as "Error in SSL handshake": say what that
// most likely means, so an operator looks at the CA rather than at the network.
std::string TransportError(const std::string& server, const std::string& what) {
  std::string msg = "request to " + server + " failed: " + what;
  if (what.find("SSL handshake") != std::string::npos) {
    msg +=
        " (TLS verification is on: is the server's certificate signed by the CA in the "
        "kubeconfig's certificate-authority(-data), and issued for this host name?)";
  }
  return msg;
}

// Whether a request cpprest failed with `e` may be sent once more on a fresh connection, as
// Go's net/http does. A keep-alive connection the server closed while it sat in cpprest's pool
// fails the next request written on it, and cpprest retries that itself only when the failure
// shows while reading the answer. Safe for every verb when the request was not written whole
// (the server cannot have acted on part of one); for idempotent verbs also when it was written
// but not a byte of answer came back. Never after a timeout: the server may be slow, not gone.
// cpprest's asio client names the phase only in the exception's text (the error code loses
// its category), hence the comparison with its messages.
bool SendAgainOnFreshConnection(const http::http_exception& e, const http::method& m) {
  if (e.error_code() == std::errc::timed_out) return false;
  const std::string what = e.what();
  if (what == "Failed to write request headers" || what == "Failed to write request body") {
    return true;
  }
  const bool idempotent = m == http::methods::GET || m == http::methods::HEAD ||
                          m == http::methods::PUT || m == http::methods::DEL ||
                          m == http::methods::OPTIONS;
  return idempotent && what == "Failed to read HTTP status line";
}

// Sends `first`; when it fails as SendAgainOnFreshConnection allows, sends a request `make`
// builds afresh (cpprest consumes a request's body when sending it). cpprest closed the
// failed connection and does not pool it again, so the second one goes out on a new one.
http::http_response Exchange(client::http_client& c, const http::http_request& first,
                             const std::function<http::http_request()>& make,
                             const pplx::cancellation_token& token) {
  try {
    return c.request(first, token).get();
  } catch (const http::http_exception& e) {
    if (!SendAgainOnFreshConnection(e, first.method())) throw;
    if (V(6)) {
      spdlog::info("{} {}: {}; sending it again on a fresh connection", first.method(),
                   first.request_uri().to_string(), e.what());
    }
  }
  return c.request(make(), token).get();
}

// Sends a watch's request and waits for its answer's status line and headers; a non-OK
// status when the answer is not a stream of events (410 Gone included) or never came.
using WatchOpener =
    std::function<StatusOr<http::http_response>(const pplx::cancellation_token& token)>;

// The stream opens its request on the first Next(), not in RestClient::Watch: a request that
// is sent but never answered (a server going down, a balancer that accepts and stays silent)
// waits out the watch client's timeout, and Stop() must reach it, so the request belongs to
// the stream from before it is sent.
class RestWatchStream final : public WatchStream {
 public:
  explicit RestWatchStream(WatchOpener open) : open_(std::move(open)) {}
  ~RestWatchStream() override { Stop(); }

  StatusOr<std::optional<WatchEvent>> Next() override {
    if (!opened_) {
      if (stopped_) return std::optional<WatchEvent>();
      StatusOr<http::http_response> response = open_(cts_.get_token());
      if (stopped_) return std::optional<WatchEvent>();
      if (!response.ok()) return response.status();
      response_ = std::move(*response);
      body_ = response_.body();
      opened_ = true;
    }
    try {
      while (!stopped_) {
        std::optional<std::string> line = lines_.NextLine();
        if (!line && !ended_ && Fill()) continue;
        if (!line) line = lines_.Rest();  // the stream ended: a last line without "\n"
        if (!line) return std::optional<WatchEvent>();
        if (line->empty()) continue;
        Json event = Json::parse(*line);
        // Moved out, not copied: a run's object is hundreds of KiB.
        WatchEvent e{event.at("type").as_string(), std::move(event.at("object"))};
        if (e.type == "ERROR") {
          const int code =
              e.object.has_integer_field("code") ? e.object.at("code").as_integer() : 500;
          const std::string msg =
              e.object.has_string_field("message") ? e.object.at("message").as_string() : "";
          return FromHttp(code, e.object.serialize()).code() == StatusCode::kGone
                     ? Status(GoneError(msg))
                     : Status(UnavailableError("watch error: " + msg));
        }
        return std::optional<WatchEvent>(std::move(e));
      }
    } catch (const std::exception& ex) {
      if (stopped_) return std::optional<WatchEvent>();
      return UnavailableError(std::string("watch stream broke: ") + ex.what());
    }
    return std::optional<WatchEvent>();
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    cts_.cancel();
  }

 private:
  WatchOpener open_;  // holds the client the request goes out on
  pplx::cancellation_token_source cts_;
  bool opened_ = false;  // open_ answered with a stream of events
  http::http_response response_;
  concurrency::streams::istream body_;
  std::atomic<bool> stopped_{false};
  LineSplitter lines_;
  std::vector<uint8_t> chunk_;
  bool ended_ = false;  // the response body is over

  // Reads what has arrived (at least one byte, waiting for it): one task per chunk, where
  // read_line took one per byte. False once the body is over.
  bool Fill() {
    auto buffer = body_.streambuf();
    const size_t want = std::clamp<size_t>(buffer.in_avail(), 1, kWatchChunkBytes);
    chunk_.resize(want);
    const size_t n = buffer.getn(chunk_.data(), want).get();
    if (n == 0) {
      ended_ = true;
      return false;
    }
    lines_.Append(std::string_view(reinterpret_cast<const char*>(chunk_.data()), n));
    return true;
  }
};

}  // namespace

struct RestClient::Impl {
  ClientConfig config;
  RealClock clock;
  std::unique_ptr<TokenBucket> throttle;
  std::shared_ptr<client::http_client> client;
  std::shared_ptr<client::http_client> watch_client;
  std::mutex token_mu;
  std::string token;                                 // guarded by token_mu
  std::chrono::steady_clock::time_point token_read;  // guarded by token_mu

  client::http_client_config MakeConfig(int timeout_seconds) const {
    client::http_client_config c;
    c.set_timeout(std::chrono::seconds(timeout_seconds));
    c.set_validate_certificates(!config.insecure_skip_tls_verify);
    const ClientConfig cfg = config;
    c.set_ssl_context_callback([cfg](boost::asio::ssl::context& ctx) {
      // OpenSSL's read and write buffers (~34 KB a connection) are given back while the
      // connection has nothing in them: a controller keeps ~30 connections open in a large
      // run, each mostly waiting for its next request.
      SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
      if (!cfg.ca_data.empty() || !cfg.ca_file.empty()) {
        // As client-go: a kubeconfig's CA is the only one trusted. cpprestsdk loaded the
        // system's CAs into this context before calling us; a certificate any of those
        // signed for the server's name must not pass for the cluster's.
        SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());
      }
      if (!cfg.ca_data.empty()) {
        ctx.add_certificate_authority(boost::asio::buffer(cfg.ca_data.data(), cfg.ca_data.size()));
      }
      if (!cfg.ca_file.empty()) ctx.load_verify_file(cfg.ca_file);
      if (!cfg.client_cert_data.empty()) {
        ctx.use_certificate_chain(
            boost::asio::buffer(cfg.client_cert_data.data(), cfg.client_cert_data.size()));
      }
      if (!cfg.client_key_data.empty()) {
        ctx.use_private_key(
            boost::asio::buffer(cfg.client_key_data.data(), cfg.client_key_data.size()),
            boost::asio::ssl::context::pem);
      }
      if (!cfg.client_cert_file.empty()) ctx.use_certificate_chain_file(cfg.client_cert_file);
      if (!cfg.client_key_file.empty()) {
        ctx.use_private_key_file(cfg.client_key_file, boost::asio::ssl::context::pem);
      }
      // An exec plugin's certificate: read for each new connection, so one that replaced an
      // expired certificate is used from then on. A failing plugin was reported by Send.
      if (cfg.exec) {
        auto credential = cfg.exec->Get();
        if (credential.ok() && !credential->client_certificate_data.empty()) {
          const std::string& cert = credential->client_certificate_data;
          const std::string& key = credential->client_key_data;
          ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()));
          ctx.use_private_key(boost::asio::buffer(key.data(), key.size()),
                              boost::asio::ssl::context::pem);
        }
      }
    });
    return c;
  }

  // Caller holds token_mu.
  void ReadTokenFileLocked() {
    std::ifstream in(config.token_file);
    if (in) {
      std::stringstream s;
      s << in.rdbuf();
      token = s.str();
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    }
    token_read = std::chrono::steady_clock::now();
  }

  // The exec plugin's credential (run when none is cached or it expired): an error says why
  // the plugin gave none, which is what the user needs rather than the API server's 401.
  Status ExecCredentialReady() {
    if (!config.exec) return Status::Ok();
    auto credential = config.exec->Get();
    return credential.ok() ? Status::Ok() : credential.status();
  }

  std::string Token() {
    if (config.exec) {
      auto credential = config.exec->Get();
      return credential.ok() && !credential->token.empty() ? credential->token : config.token;
    }
    std::lock_guard<std::mutex> lock(token_mu);
    if (config.token_file.empty()) return config.token;
    // Projected service-account tokens rotate: re-read the file at most once a minute.
    if (token.empty() || std::chrono::steady_clock::now() - token_read > std::chrono::minutes(1)) {
      ReadTokenFileLocked();
    }
    return token.empty() ? config.token : token;
  }

  // A 401 may mean the token file was rotated since we read it: re-read it now (at most once
  // a second, so a server refusing every token is not met with a file read per request).
  // True when a different token was found, i.e. retrying may help.
  bool RefreshTokenAfterUnauthorized() {
    if (config.exec) {
      // The plugin's credential was revoked or expired early: ask the plugin again.
      config.exec->Invalidate();
      return true;
    }
    std::lock_guard<std::mutex> lock(token_mu);
    if (config.token_file.empty()) return false;
    if (std::chrono::steady_clock::now() - token_read < std::chrono::seconds(1)) return false;
    const std::string before = token;
    ReadTokenFileLocked();
    return token != before;
  }

  // --v=6: one line per request; the path and query only (a token is in a header, never here).
  static void LogRequest(const http::http_request& req, int code,
                         std::chrono::steady_clock::time_point started) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    spdlog::info("{} {} {} in {} ms", req.method(), req.request_uri().to_string(), code, ms);
  }

  // Tells the configured observer of one request sent (kube/request_observer.h).
  void Observe(const http::method& m, int code, std::chrono::steady_clock::time_point started) {
    if (config.request_observer == nullptr) return;
    config.request_observer->RequestDone(
        m, code, std::chrono::duration<double>(std::chrono::steady_clock::now() - started));
  }

  http::http_request Request(const http::method& m, const std::string& path_query,
                             const char* accept = "application/json") {
    http::http_request req(m);
    req.set_request_uri(path_query);
    req.headers().add("Accept", accept);
    req.headers().add("User-Agent", config.user_agent);
    const std::string t = Token();
    if (!t.empty()) req.headers().add("Authorization", "Bearer " + t);
    return req;
  }

  // `make` builds the request afresh for every attempt: cpprest consumes a request's body
  // stream when sending it, so a request object cannot be sent twice.
  StatusOr<Json> Send(const std::function<http::http_request()>& make,
                      const pplx::cancellation_token& cancel = pplx::cancellation_token::none()) {
    for (int attempt = 0;; ++attempt) {
      clock.Sleep(throttle->Reserve());
      if (Status ready = ExecCredentialReady(); !ready.ok()) return ready;
      try {
        http::http_request req = make();
        const bool eviction = req.request_uri().path().find("/eviction") != std::string::npos;
        const auto started = std::chrono::steady_clock::now();
        http::http_response resp;
        try {
          resp = Exchange(*client, req, make, cancel);
        } catch (const std::exception&) {
          Observe(req.method(), 0, started);
          throw;
        }
        const int code = resp.status_code();
        Observe(req.method(), code, started);
        const std::string body = resp.extract_string(true).get();
        if (V(6)) LogRequest(req, code, started);
        if (code == 401 && attempt == 0 && RefreshTokenAfterUnauthorized()) continue;
        // A throttled server says when to come back; honour it a few times. Not for
        // evictions: there 429 means a PodDisruptionBudget said no, which the caller decides on.
        if (code == 429 && !eviction && attempt < 3 && resp.headers().has("Retry-After")) {
          const int seconds = std::clamp(std::atoi(resp.headers()["Retry-After"].c_str()), 0, 10);
          clock.Sleep(std::chrono::seconds(seconds));
          continue;
        }
        if (code < 200 || code >= 300) return FromHttp(code, body);
        if (body.empty()) return Json::object();
        return Json::parse(body);
      } catch (const std::exception& e) {
        return UnavailableError(TransportError(config.server, e.what()));
      }
    }
  }

  StatusOr<Json> SendJson(const http::method& m, const std::string& path, const Json& body,
                          const std::string& content_type = "application/json",
                          const char* accept = "application/json") {
    const std::string text = body.serialize();
    return Send([&] {
      http::http_request req = Request(m, path, accept);
      req.set_body(text, content_type);
      return req;
    });
  }

  StatusOr<Json> SendEmpty(
      const http::method& m, const std::string& path, const char* accept = "application/json",
      const pplx::cancellation_token& cancel = pplx::cancellation_token::none()) {
    return Send([&] { return Request(m, path, accept); }, cancel);
  }
};

StatusOr<std::unique_ptr<RestClient>> RestClient::Create(const ClientConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->throttle = std::make_unique<TokenBucket>(config.qps, config.burst, impl->clock);
  try {
    impl->client = std::make_shared<client::http_client>(config.server,
                                                         impl->MakeConfig(kRequestTimeoutSeconds));
    impl->watch_client = std::make_shared<client::http_client>(
        config.server, impl->MakeConfig(kWatchTimeoutSeconds + 60));
  } catch (const std::exception& e) {
    return InvalidArgumentError("API server address \"" + config.server + "\": " + e.what());
  }
  return std::unique_ptr<RestClient>(new RestClient(std::move(impl)));
}

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

StatusOr<Json> RestClient::Get(const Resource& r, const ObjectKey& key) {
  return impl_->SendEmpty(http::methods::GET, r.ItemPath(key.ns, key.name));
}

StatusOr<ObjectList> RestClient::List(const Resource& r, const std::string& ns,
                                      const ListOptions& options) {
  // client-go's pager: with a limit, follow continue tokens until the list is whole. The
  // list's resourceVersion is the first page's (every page is served at it).
  ObjectList list;
  std::string continue_token = options.continue_token;
  do {
    std::string paging;
    if (options.limit > 0) paging = "limit=" + std::to_string(options.limit);
    if (!continue_token.empty()) {
      paging += (paging.empty() ? "" : "&") + std::string("continue=") +
                web::uri::encode_data_string(continue_token);
    }
    auto body = impl_->SendEmpty(
        http::methods::GET, r.CollectionPath(ns) + Query(options, paging),
        options.metadata_only ? kAcceptPartialObjectMetadataList : "application/json",
        options.cancel);
    if (!body.ok()) return body.status();
    continue_token.clear();
    try {
      if (body->has_object_field("metadata")) {
        const Json& meta = body->at("metadata");
        if (list.resource_version.empty() && meta.has_string_field("resourceVersion")) {
          list.resource_version = meta.at("resourceVersion").as_string();
        }
        if (meta.has_string_field("continue")) continue_token = meta.at("continue").as_string();
      }
      if (body->has_array_field("items")) {
        for (auto& item : body->at("items").as_array()) list.items.push_back(std::move(item));
      }
    } catch (const std::exception& e) {
      return InternalError(std::string("malformed list: ") + e.what());
    }
  } while (!continue_token.empty() && !options.one_page);
  list.continue_token = continue_token;
  return list;
}

StatusOr<Json> RestClient::Create(const Resource& r, const Json& object) {
  return impl_->SendJson(http::methods::POST, r.CollectionPath(NsOf(object)), object);
}

StatusOr<Json> RestClient::Update(const Resource& r, const Json& object) {
  return impl_->SendJson(http::methods::PUT, r.ItemPath(NsOf(object), NameOf(object)), object);
}

StatusOr<Json> RestClient::UpdateStatus(const Resource& r, const Json& object) {
  return impl_->SendJson(http::methods::PUT, r.ItemPath(NsOf(object), NameOf(object)) + "/status",
                         object);
}

StatusOr<Json> RestClient::Patch(const Resource& r, const ObjectKey& key, PatchType type,
                                 const Json& patch, bool status_subresource, Answer answer) {
  const char* ct = type == PatchType::kMerge  ? "application/merge-patch+json"
                   : type == PatchType::kJson ? "application/json-patch+json"
                                              : "application/strategic-merge-patch+json";
  std::string path = r.ItemPath(key.ns, key.name);
  if (status_subresource) path += "/status";
  return impl_->SendJson(
      http::methods::PATCH, path, patch, ct,
      answer == Answer::kMetadata ? kAcceptPartialObjectMetadata : "application/json");
}

Status RestClient::Delete(const Resource& r, const ObjectKey& key) {
  auto s = impl_->SendEmpty(http::methods::DEL, r.ItemPath(key.ns, key.name));
  return s.ok() ? Status::Ok() : s.status();
}

Status RestClient::Evict(const ObjectKey& pod) {
  Json eviction = Json::object();
  eviction["apiVersion"] = Json::string("policy/v1");
  eviction["kind"] = Json::string("Eviction");
  eviction["metadata"]["name"] = Json::string(pod.name);
  eviction["metadata"]["namespace"] = Json::string(pod.ns);
  auto s = impl_->SendJson(http::methods::POST,
                           resources::Pods().ItemPath(pod.ns, pod.name) + "/eviction", eviction);
  return s.ok() ? Status::Ok() : s.status();
}

StatusOr<std::unique_ptr<WatchStream>> RestClient::Watch(const Resource& r, const std::string& ns,
                                                         const ListOptions& options,
                                                         const std::string& resource_version) {
  // Jitter spreads the re-watches of many informers (client-go does the same).
  static thread_local std::mt19937 rng(std::random_device{}());
  const int timeout = kWatchTimeoutSeconds - static_cast<int>(rng() % 60);
  std::string extra = "watch=1&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(timeout);
  if (!resource_version.empty()) {
    extra += "&resourceVersion=" + web::uri::encode_data_string(resource_version);
  }
  impl_->clock.Sleep(impl_->throttle->Reserve());
  if (Status ready = impl_->ExecCredentialReady(); !ready.ok()) return ready;
  const std::string collection = r.CollectionPath(ns);
  const std::string path_query = collection + Query(options, extra);
  const char* accept = options.metadata_only ? kAcceptPartialObjectMetadata : "application/json";
  WatchOpener open = [impl = impl_, path_query, accept, collection](
                         const pplx::cancellation_token& token) -> StatusOr<http::http_response> {
    try {
      auto make = [&] { return impl->Request(http::methods::GET, path_query, accept); };
      const auto started = std::chrono::steady_clock::now();
      http::http_response resp;
      try {
        resp = Exchange(*impl->watch_client, make(), make, token);
      } catch (const std::exception&) {
        impl->Observe(http::methods::GET, 0, started);
        throw;
      }
      impl->Observe(http::methods::GET, resp.status_code(), started);
      if (V(6)) spdlog::info("WATCH {} {}", collection, resp.status_code());
      if (resp.status_code() != 200) {
        // The informer retries with backoff; let that retry carry a rotated token.
        if (resp.status_code() == 401) impl->RefreshTokenAfterUnauthorized();
        return FromHttp(resp.status_code(), resp.extract_string(true).get());
      }
      return resp;
    } catch (const std::exception& e) {
      return UnavailableError("watch: " + TransportError(impl->config.server, e.what()));
    }
  };
  return std::unique_ptr<WatchStream>(new RestWatchStream(std::move(open)));
}

}  // namespace kcau::kube
