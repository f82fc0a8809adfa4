#include "sim/api_server.h"

#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <list>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "kube/disruption_budget.h"
#include "kube/partial_object_metadata.h"
#include "sim/api_tables.h"
#include "sim/audit_log.h"
#include "sim/crd_validation.h"
#include "sim/kube_protobuf.h"
#include "sim/object_names.h"
#include "sim/openapi_v2.h"
#include "sim/request_gate.h"
#include "sim/response_form.h"

namespace kcau::sim {

namespace http = web::http;
using kube::Json;

int FindFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

namespace {

// A reply task's failure (the client went away before the answer) must be observed, or
// pplx reports it as unhandled; there is nothing else to do about it. `gate`, when given,
// is told once the answer is out.
void ObserveReply(pplx::task<void> reply, std::shared_ptr<RequestGate> gate = nullptr) {
  if (gate) gate->AnswerHandedOver();
  reply.then([gate](pplx::task<void> t) {
    try {
      t.get();
    } catch (const std::exception&) {
      // The client hung up: nothing to do.
    }
    if (gate) gate->AnswerSent();
  });
}

// A query parameter as the API server's parameter decoding reads an integer: Go's
// strconv.ParseInt(text, 10, 64), whole value, with its error text.
StatusOr<int64_t> ParseGoInt64(const std::string& text) {
  const auto error = [&](const char* why) {
    return InvalidArgumentError("strconv.ParseInt: parsing " + GoQuote(text) + ": " + why);
  };
  // from_chars takes a '-' but not a '+'; Go takes either.
  const bool plus = !text.empty() && text[0] == '+';
  if (plus && (text.size() == 1 || text[1] == '-')) return error("invalid syntax");
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data() + (plus ? 1 : 0), end, value);
  if (stop != end || ec == std::errc::invalid_argument) return error("invalid syntax");
  if (ec == std::errc::result_out_of_range) return error("value out of range");
  return value;
}

// A boolean query parameter, parsed as Go's strconv.ParseBool does (Python sends "True").
bool IsTrue(const std::string& v) {
  return v == "true" || v == "1" || v == "True" || v == "TRUE" || v == "t" || v == "T";
}

struct HttpError {
  int code;
  const char* reason;
};

HttpError HttpErrorFor(StatusCode code) {
  switch (code) {
    case StatusCode::kNotFound:
      return {404, "NotFound"};
    case StatusCode::kAlreadyExists:
      return {409, "AlreadyExists"};
    case StatusCode::kConflict:
      return {409, "Conflict"};
    case StatusCode::kTooManyRequests:
      return {429, "TooManyRequests"};
    case StatusCode::kInvalidArgument:
      return {422, "Invalid"};
    case StatusCode::kGone:
      return {410, "Expired"};
    case StatusCode::kUnauthorized:
      return {401, "Unauthorized"};
    case StatusCode::kUnavailable:
      return {503, "ServiceUnavailable"};
    default:
      return {500, "InternalError"};
  }
}

// A field error's cause reason, from the wording field.ErrorType gives its body.
const char* CauseReason(const std::string& body) {
  static const std::pair<const char*, const char*> kReasons[] = {
      {"Required value", "FieldValueRequired"}, {"Unsupported value", "FieldValueNotSupported"},
      {"Forbidden", "FieldValueForbidden"},     {"Too long", "FieldValueTooLong"},
      {"Too many", "FieldValueTooMany"},        {"Duplicate value", "FieldValueDuplicate"},
      {"Not found", "FieldValueNotFound"},      {"Internal error", "InternalError"}};
  for (const auto& [wording, reason] : kReasons) {
    if (body.rfind(wording, 0) == 0) return reason;
  }
  return "FieldValueInvalid";
}

Json StatusObject(int code, const std::string& reason, std::string message,
                  const std::string& name = "", const std::string& kind = "",
                  const std::string& group = "") {
  Json s = Json::object();
  s["kind"] = Json::string("Status");
  s["apiVersion"] = Json::string("v1");
  s["metadata"] = Json::object();
  s["status"] = Json::string(code < 300 ? "Success" : "Failure");
  if (!name.empty() || !kind.empty()) {
    Json d = Json::object();
    if (!name.empty()) d["name"] = Json::string(name);
    if (!group.empty()) d["group"] = Json::string(group);
    if (!kind.empty()) d["kind"] = Json::string(kind);
    if (reason == std::string("Invalid")) {
      // One cause per field error, as NewInvalid lists them (kubectl prints them); the
      // message joins the distinct ones as Go's aggregate error does: "[a, b]".
      const InvalidMessage parsed = ParseInvalidMessage(message);
      Json causes = Json::array();
      std::vector<std::string> distinct;
      for (size_t i = 0; i < parsed.field_errors.size(); ++i) {
        const std::string& error = parsed.field_errors[i];
        Json cause = Json::object();
        const size_t colon = error.find(": ");
        const bool has_field = colon != std::string::npos && error.find(' ') > colon;
        const std::string body = has_field ? error.substr(colon + 2) : error;
        cause["reason"] = Json::string(CauseReason(body));
        cause["message"] = Json::string(body);
        if (has_field) cause["field"] = Json::string(error.substr(0, colon));
        causes[i] = cause;
        if (std::find(distinct.begin(), distinct.end(), error) == distinct.end()) {
          distinct.push_back(error);
        }
      }
      d["causes"] = causes;
      if (distinct.size() > 1) {
        std::string joined;
        for (const auto& error : distinct) joined += (joined.empty() ? "" : ", ") + error;
        message =
            (parsed.subject.empty() ? "" : parsed.subject + " is invalid: ") + "[" + joined + "]";
      }
    }
    s["details"] = d;
  }
  if (code == 429) {
    // A budget's refusal: the message as the API server words it, the budget in a cause.
    const size_t open = message.find(" (The disruption budget ");
    if (open != std::string::npos && message.back() == ')') {
      Json cause = Json::object();
      cause["reason"] = Json::string(kube::kDisruptionBudgetCause);
      cause["message"] = Json::string(message.substr(open + 2, message.size() - open - 3));
      s["details"]["causes"][0] = cause;
      message = message.substr(0, open);
    }
  }
  if (!message.empty()) s["message"] = Json::string(message);
  if (!reason.empty()) s["reason"] = Json::string(reason);
  s["code"] = Json::number(code);
  return s;
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& s : web::uri::split_path(path)) {
    if (!s.empty()) out.push_back(web::uri::decode(s));
  }
  return out;
}

std::string AcceptOf(const http::http_request& req) {
  auto it = req.headers().find("Accept");
  return it == req.headers().end() ? "" : it->second;
}

// An object as the negotiated form has it: whole, or its metadata only. (A Table is built
// from the objects by TableFor; where no table is served, the object goes whole.)
Json Shaped(const ResponseForm& form, const Json& object) {
  return form.kind == ResponseForm::Kind::kMetadata
             ? kube::PartialObjectMetadataOf(object, form.version)
             : object;
}

// One line of a watch response, {"type":...,"object":...}, written around the object's own
// serialization rather than by copying the object into an event object first.
std::string WatchEventLine(const std::string& type, const Json& object) {
  return "{\"type\":" + Json::string(type).serialize() + ",\"object\":" + object.serialize() +
         "}\n";
}

}  // namespace

struct ApiServer::Impl {
  ObjectStore& store;
  const Clock& clock;
  ApiServerOptions options;
  std::mutex token_mu;
  std::string file_token;                            // guarded by token_mu
  std::filesystem::file_time_type token_file_mtime;  // guarded by token_mu
  std::unique_ptr<http::experimental::listener::http_listener> listener;
  // Shared with reply continuations, which may outlive a server that stopped waiting.
  std::shared_ptr<RequestGate> gate = std::make_shared<RequestGate>();
  std::atomic<bool> stopping{false};  // set: watch streams end
  std::atomic<bool> quiesced{false};
  std::mutex watches_mu;
  struct WatchThread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<WatchThread> watches;  // guarded by watches_mu
  std::mutex fault_mu;
  std::mt19937_64 fault_rng;  // guarded by fault_mu
  AuditLog audit;

  void Audit(const http::http_request& req, const ClientIdentity& who, const kube::Resource& r,
             const std::string& ns, const std::string& name, const std::string& sub,
             const std::string& watch) {
    auto agent = req.headers().find("User-Agent");
    audit.Record({agent == req.headers().end() ? "" : agent->second,
                  AuditVerb(req.method(), !name.empty(), IsTrue(watch)), r.group, r.plural, sub, ns,
                  name, who.user, who.node, clock.Now()});
  }

  // A CustomResourceDefinition written is served from now on (its kind, its schema).
  void AfterWrite(const kube::Resource& r, const Json& written) {
    if (r.group != "apiextensions.k8s.io" || r.plural != "customresourcedefinitions") return;
    if (Status served = ServeCrd(store, written); !served.ok()) {
      spdlog::warn("kcau-sim: CRD {} is stored but not served: {}", NameOfBody(written),
                   served.message());
    }
  }

  // Decides whether to fail this request (fault injection) and answers it if so.
  bool InjectFault(http::http_request& req) {
    if (options.fail_fraction <= 0 || options.fail_codes.empty()) return false;
    int code = 0;
    {
      std::lock_guard<std::mutex> lock(fault_mu);
      if (std::uniform_real_distribution<double>(0, 1)(fault_rng) >= options.fail_fraction) {
        return false;
      }
      // Drawn only for a failing request, so a single code leaves the sequence of failed
      // requests as it was before codes could be mixed.
      code = options.fail_codes.size() == 1
                 ? options.fail_codes[0]
                 : options.fail_codes[std::uniform_int_distribution<size_t>(
                       0, options.fail_codes.size() - 1)(fault_rng)];
    }
    const bool throttle = code == 429;
    Json body = throttle ? StatusObject(429, "TooManyRequests", "injected fault: too many requests")
                         : StatusObject(500, "InternalError", "injected fault: internal error");
    http::http_response resp(static_cast<http::status_code>(code));
    if (throttle) resp.headers().add("Retry-After", "1");
    resp.set_body(body);
    Answer(req.reply(resp));
    return true;
  }

  Impl(ObjectStore& s, const Clock& c, ApiServerOptions o)
      : store(s), clock(c), options(std::move(o)), fault_rng(options.fail_seed) {}

  void Answer(pplx::task<void> reply) { ObserveReply(std::move(reply), gate); }

  void Reply(http::http_request& req, int code, const Json& body) {
    Answer(req.reply(static_cast<http::status_code>(code), body));
  }

  void ReplyError(http::http_request& req, const Status& s, const std::string& name = "",
                  const kube::Resource* r = nullptr) {
    HttpError e = HttpErrorFor(s.code());
    // details.kind is the resource ("updateruns") for NotFound and Conflict, the Kind
    // ("UpdateRun") for Invalid, as the API server's NewNotFound / NewInvalid set it; kubectl
    // prints 'The UpdateRun "x" is invalid'.
    const std::string kind = r == nullptr ? "" : e.code == 422 ? r->kind : r->plural;
    std::string details_name = name;
    if (details_name.empty() && e.code == 422) {
      // A generated name is known from the message only: 'ConfigMap "cm-x7k2p" is invalid'.
      const std::string subject = ParseInvalidMessage(s.message()).subject;
      if (const size_t quote = subject.find('"'); quote != std::string::npos) {
        details_name = GoUnquote(subject.substr(quote)).value_or("");
      }
    }
    Reply(req, e.code,
          StatusObject(e.code, e.reason, s.message(), details_name, kind, r ? r->group : ""));
  }

  void Handle(http::http_request req, const std::string& body) {
    if (!gate->Enter()) {
      ObserveReply(req.reply(http::status_codes::ServiceUnavailable,
                             StatusObject(503, "ServiceUnavailable", "kcau-sim is stopping")));
      return;
    }
    struct Leave {
      RequestGate& gate;
      ~Leave() { gate.Left(); }
    } leave{*gate};
    try {
      Route(req, body);
    } catch (const std::exception& e) {
      // Malformed JSON bodies and anything else unexpected: a Status, never a crash.
      Reply(req, 400, StatusObject(400, "BadRequest", std::string("bad request: ") + e.what()));
    }
  }

  // The token in force: options.bearer_token, or bearer_token_file's content as of now.
  std::string AcceptedToken() {
    if (options.bearer_token_file.empty()) return options.bearer_token;
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(options.bearer_token_file, ec);
    std::lock_guard<std::mutex> lock(token_mu);
    if (!ec && mtime != token_file_mtime) {
      std::ifstream in(options.bearer_token_file);
      std::stringstream text;
      text << in.rdbuf();
      file_token = text.str();
      while (!file_token.empty() && std::isspace(static_cast<unsigned char>(file_token.back()))) {
        file_token.pop_back();
      }
      token_file_mtime = mtime;
    }
    return file_token;
  }

  // Who sent `req`: the admin (kcau-sim's own token), a client of client_tokens, or, when
  // kcau-sim asks for no token, anyone; nullopt for a request it must refuse.
  std::optional<ClientIdentity> Authenticate(const http::http_request& req) {
    const std::string token = AcceptedToken();
    auto it = req.headers().find("Authorization");
    const std::string presented = it == req.headers().end() ? "" : it->second;
    if (presented.rfind("Bearer ", 0) == 0) {
      auto client = options.client_tokens.find(presented.substr(7));
      if (client != options.client_tokens.end()) return client->second;
    }
    if (!token.empty() && presented == "Bearer " + token) return ClientIdentity{kAdminUser, ""};
    if (token.empty() && options.bearer_token_file.empty()) {
      return ClientIdentity{kAnonymousUser, ""};
    }
    return std::nullopt;
  }

  // `body`: the request's, read whole before (ApiServer::Start).
  void Route(http::http_request& req, const std::string& body) {
    const auto segs = Segments(req.relative_uri().path());
    const auto query = web::uri::split_query(req.relative_uri().query());
    auto q = [&](const std::string& k) {
      auto it = query.find(k);
      return it == query.end() ? std::string() : web::uri::decode(it->second);
    };
    if (segs.size() == 1 && (segs[0] == "healthz" || segs[0] == "readyz" || segs[0] == "livez")) {
      Answer(req.reply(http::status_codes::OK, "ok", "text/plain"));
      return;
    }
    const std::optional<ClientIdentity> who = Authenticate(req);
    if (!who) {
      Reply(req, 401, StatusObject(401, "Unauthorized", "Unauthorized"));
      return;
    }
    if (segs.size() == 1 && segs[0] == "version") {
      Reply(req, 200, VersionInfo());
      return;
    }
    if (segs.size() == 1 && segs[0] == "api") {
      Reply(req, 200, ApiVersions());
      return;
    }
    if (segs.size() == 1 && segs[0] == "apis") {
      Reply(req, 200, ApiGroupList(store));
      return;
    }
    if (!segs.empty() && segs[0] == "openapi") {
      RouteOpenApi(req, segs);
      return;
    }
    // /api/v1/... or /apis/G/V/...
    size_t base = 0;
    std::string group, version;
    if (segs.size() >= 2 && segs[0] == "api") {
      version = segs[1];
      base = 2;
    } else if (segs.size() >= 3 && segs[0] == "apis") {
      group = segs[1];
      version = segs[2];
      base = 3;
    } else {
      Reply(req, 404,
            StatusObject(404, "NotFound", "the server could not find the requested resource"));
      return;
    }
    std::vector<std::string> rest(segs.begin() + static_cast<long>(base), segs.end());
    if (!rest.empty() && InjectFault(req)) return;
    if (rest.empty()) {
      auto list = ApiResourceList(store, group, version);
      if (!list) {
        Reply(req, 404,
              StatusObject(404, "NotFound", "the server could not find the requested resource"));
        return;
      }
      Reply(req, 200, *list);
      return;
    }
    std::string ns;
    if (rest.size() >= 3 && rest[0] == "namespaces") {
      ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
    const ResourceInfo* info = store.FindResource(group, version, rest[0]);
    if (info == nullptr) {
      Reply(req, 404,
            StatusObject(404, "NotFound", "the server could not find the requested resource"));
      return;
    }
    const kube::Resource& r = info->resource;
    const std::string name = rest.size() >= 2 ? rest[1] : "";
    const std::string sub = rest.size() >= 3 ? rest[2] : "";
    if (rest.size() > 3 || (!sub.empty() && sub != "status" && sub != "eviction")) {
      Reply(req, 404,
            StatusObject(404, "NotFound", "the server could not find the requested resource"));
      return;
    }
    const auto method = req.method();
    if (audit.IsOpen()) Audit(req, *who, r, ns, name, sub, q("watch"));
    const bool listing = name.empty() && method == http::methods::GET && !IsTrue(q("watch"));
    const std::optional<ResponseForm> form = NegotiateResponseForm(AcceptOf(req), listing);
    if (!form) {
      Reply(req, 406,
            StatusObject(406, "NotAcceptable",
                         "only the following media types are accepted: application/json, "
                         "application/json;as=Table, application/json;as=PartialObjectMetadata" +
                             std::string(listing ? "List" : "") + ";g=meta.k8s.io;v=v1"));
      return;
    }
    const bool table = form->kind == ResponseForm::Kind::kTable;
    // dryRun=All (kubectl apply --dry-run=server, kubectl diff): every check, nothing stored.
    const bool dry_run = !q("dryRun").empty();
    if (dry_run && q("dryRun") != "All") {
      Reply(req, 400,
            StatusObject(
                400, "BadRequest",
                "dryRun: Unsupported value: \"" + q("dryRun") + "\": supported values: \"All\""));
      return;
    }
    if (dry_run && sub == "eviction") {
      // Honest refusal rather than an eviction that happens.
      Reply(req, 400,
            StatusObject(400, "BadRequest", "kcau-sim does not support dryRun for evictions"));
      return;
    }
    if (name.empty()) {
      if (method == http::methods::GET) {
        kube::ListOptions opts{q("labelSelector"), q("fieldSelector")};
        const std::string watch = q("watch");
        // As the API server's parameter decoding: the whole value must be an integer.
        std::optional<int64_t> limit, timeout_seconds;
        for (auto [param, into] : {std::make_pair("limit", &limit),
                                   std::make_pair("timeoutSeconds", &timeout_seconds)}) {
          if (q(param).empty()) continue;
          auto parsed = ParseGoInt64(q(param));
          if (!parsed.ok()) {
            Reply(req, 400, StatusObject(400, "BadRequest", parsed.status().message()));
            return;
          }
          *into = *parsed;
        }
        opts.limit = std::max<int64_t>(0, limit.value_or(0));  // a negative limit pages nothing
        opts.continue_token = q("continue");
        if (IsTrue(watch)) {
          StartWatch(req, r, ns, opts, q("resourceVersion"), timeout_seconds,
                     q("allowWatchBookmarks") == "true" || q("allowWatchBookmarks") == "1", *form);
          return;
        }
        auto list = store.List(r, ns, opts);
        if (!list.ok() && !opts.continue_token.empty() &&
            list.status().code() == StatusCode::kInvalidArgument) {
          // A garbled continue token is a BadRequest on the API server, not an Invalid object.
          Reply(req, 400, StatusObject(400, "BadRequest", list.status().message()));
          return;
        }
        if (!list.ok()) return ReplyError(req, list.status(), "", &r);
        Json out = Json::object();
        if (table) {
          out = TableFor(r, list->items, list->resource_version, clock.Now());
        } else if (form->kind == ResponseForm::Kind::kMetadata) {
          out["kind"] = Json::string("PartialObjectMetadataList");
          out["apiVersion"] = Json::string("meta.k8s.io/" + form->version);
          out["metadata"]["resourceVersion"] = Json::string(list->resource_version);
        } else {
          out["kind"] = Json::string(r.kind + "List");
          out["apiVersion"] = Json::string(r.ApiVersion());
          out["metadata"]["resourceVersion"] = Json::string(list->resource_version);
        }
        if (!list->continue_token.empty()) {
          out["metadata"]["continue"] = Json::string(list->continue_token);
          out["metadata"]["remainingItemCount"] = Json::number(list->remaining_item_count);
        }
        if (table) {
          Reply(req, 200, out);
          return;
        }
        Json items = Json::array(list->items.size());
        for (size_t i = 0; i < list->items.size(); ++i) items[i] = Shaped(*form, list->items[i]);
        out["items"] = items;
        Reply(req, 200, out);
        return;
      }
      if (method == http::methods::POST) {
        auto object = RequestObject(req, body);
        if (!object.ok()) return ReplyUndecodable(req, object.status());
        auto created = store.Create(r, ns, *object, dry_run);
        if (!created.ok()) return ReplyError(req, created.status(), NameOfBody(*object), &r);
        if (!dry_run) AfterWrite(r, *created);
        Reply(req, 201, Shaped(*form, *created));
        return;
      }
      Reply(req, 405, StatusObject(405, "MethodNotAllowed", "method not allowed"));
      return;
    }
    const kube::ObjectKey key{ns, name};
    if (sub == "eviction") {
      if (method != http::methods::POST || r.plural != "pods") {
        Reply(req, 405, StatusObject(405, "MethodNotAllowed", "method not allowed"));
        return;
      }
      Status s = store.Evict(key);
      if (!s.ok()) return ReplyError(req, s, name, &r);
      Reply(req, 201, StatusObject(201, "", ""));
      return;
    }
    const bool status_sub = sub == "status";
    if (method == http::methods::GET) {
      auto obj = store.Get(r, key);
      if (!obj.ok()) return ReplyError(req, obj.status(), name, &r);
      if (table) {
        Reply(req, 200,
              TableFor(r, {*obj}, std::to_string(store.CurrentResourceVersion()), clock.Now()));
        return;
      }
      Reply(req, 200, Shaped(*form, *obj));
      return;
    }
    if (method == http::methods::PUT) {
      auto object = RequestObject(req, body);
      if (!object.ok()) return ReplyUndecodable(req, object.status());
      auto updated = store.Update(r, key, *object, status_sub, dry_run);
      if (!updated.ok()) return ReplyError(req, updated.status(), name, &r);
      if (!dry_run) AfterWrite(r, *updated);
      Reply(req, 200, Shaped(*form, *updated));
      return;
    }
    if (method == http::methods::PATCH) {
      const std::string ct = req.headers().content_type();
      kube::PatchType type;
      if (ct.rfind("application/merge-patch+json", 0) == 0) {
        type = kube::PatchType::kMerge;
      } else if (ct.rfind("application/json-patch+json", 0) == 0) {
        type = kube::PatchType::kJson;
      } else if (ct.rfind("application/strategic-merge-patch+json", 0) == 0) {
        type = kube::PatchType::kStrategicMerge;
      } else {
        Reply(req, 415,
              StatusObject(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - "
                           "accepted media types include: application/json-patch+json, "
                           "application/merge-patch+json, "
                           "application/strategic-merge-patch+json"));
        return;
      }
      Json patch = Json::parse(body);
      auto patched = store.Patch(r, key, type, patch, status_sub, dry_run);
      if (!patched.ok()) return ReplyError(req, patched.status(), name, &r);
      if (!dry_run) AfterWrite(r, *patched);
      Reply(req, 200, Shaped(*form, *patched));
      return;
    }
    if (method == http::methods::DEL) {
      // kubectl sends dry-run deletes as DeleteOptions in the body: {"dryRun":["All"]}.
      const bool dry_delete = dry_run || DeleteOptionsSayDryRun(body);
      auto deleted = store.Delete(r, key, dry_delete);
      if (!deleted.ok()) return ReplyError(req, deleted.status(), name, &r);
      Reply(req, 200, Shaped(*form, *deleted));
      return;
    }
    Reply(req, 405, StatusObject(405, "MethodNotAllowed", "method not allowed"));
  }

  static bool DeleteOptionsSayDryRun(const std::string& body) {
    if (body.empty()) return false;
    std::error_code ec;
    const Json options = Json::parse(body, ec);
    if (ec || !options.has_array_field("dryRun")) return false;
    for (const auto& v : options.at("dryRun").as_array()) {
      if (v.is_string() && v.as_string() == "All") return true;
    }
    return false;
  }

  // The object a create or update carries: JSON, or the Kubernetes protobuf encoding that
  // kubectl's typed clients send for built-in kinds, decoded to the same JSON.
  static StatusOr<Json> RequestObject(const http::http_request& req, const std::string& body) {
    if (req.headers().content_type().rfind(kKubernetesProtobuf, 0) == 0) {
      return KubernetesProtobufToJson(body);
    }
    return body.empty() ? Json::null() : Json::parse(body);
  }

  // A body that could not be read: 415 for an encoding of a kind kcau-sim cannot decode
  // (KubernetesProtobufToJson's kNotFound), 400 for a malformed one.
  void ReplyUndecodable(http::http_request& req, const Status& why) {
    if (why.code() == StatusCode::kNotFound) {
      Reply(req, 415, StatusObject(415, "UnsupportedMediaType", why.message()));
    } else {
      Reply(req, 400, StatusObject(400, "BadRequest", why.message()));
    }
  }

  static std::string NameOfBody(const Json& body) {
    return body.has_object_field("metadata") && body.at("metadata").has_string_field("name")
               ? body.at("metadata").at("name").as_string()
               : "";
  }

  void RouteOpenApi(http::http_request& req, const std::vector<std::string>& segs) {
    if (segs.size() == 2 && segs[1] == "v2") {
      const auto accept = req.headers().find(http::header_names::accept);
      if (accept != req.headers().end() && accept->second.find("protobuf") != std::string::npos) {
        http::http_response resp(http::status_codes::OK);
        const std::string body = OpenApiV2Protobuf(store);
        resp.set_body(std::vector<unsigned char>(body.begin(), body.end()));
        resp.headers().set_content_type(kOpenApiV2Protobuf);
        Answer(req.reply(resp));
      } else {
        Reply(req, 200, OpenApiV2Json(store));
      }
      return;
    }
    if (segs.size() == 2 && segs[1] == "v3") {
      Reply(req, 200, OpenApiV3Index(store));
      return;
    }
    if (segs.size() >= 4 && segs[1] == "v3") {
      std::string group, version;
      if (segs[2] == "api" && segs.size() == 4) {
        version = segs[3];
      } else if (segs[2] == "apis" && segs.size() == 5) {
        group = segs[3];
        version = segs[4];
      }
      auto doc = OpenApiV3Document(store, group, version);
      if (doc) {
        Reply(req, 200, *doc);
        return;
      }
    }
    Reply(req, 404,
          StatusObject(404, "NotFound", "the server could not find the requested resource"));
  }

  void StartWatch(http::http_request& req, const kube::Resource& r, const std::string& ns,
                  const kube::ListOptions& opts, const std::string& rv,
                  std::optional<int64_t> timeout_seconds, bool bookmarks,
                  const ResponseForm& form) {
    int timeout = options.max_watch_seconds;
    if (timeout_seconds) {
      timeout = static_cast<int>(
          std::clamp<int64_t>(*timeout_seconds, 1, std::max(1, options.max_watch_seconds)));
    }
    // What a bookmark may claim before any event: read before the watch starts, so it is
    // never ahead of an event the stream has yet to deliver.
    std::string seen_rv =
        rv.empty() || rv == "0" ? std::to_string(store.CurrentResourceVersion()) : rv;
    auto queue = store.Watch(r, ns, opts, rv);
    if (!queue.ok() && queue.status().code() != StatusCode::kGone) {
      return ReplyError(req, queue.status(), "", &r);
    }
    concurrency::streams::producer_consumer_buffer<uint8_t> buf;
    http::http_response resp(http::status_codes::OK);
    resp.headers().set_content_type("application/json");
    resp.set_body(buf.create_istream());
    auto replied = std::make_shared<pplx::task<void>>(req.reply(resp));
    Answer(*replied);
    auto write_text = [buf](const std::string& text) mutable {
      buf.putn_nocopy(reinterpret_cast<const uint8_t*>(text.data()), text.size()).wait();
      buf.sync().wait();
    };
    if (!queue.ok()) {
      // A too-old resourceVersion is reported inside the stream, as the API server does.
      write_text(WatchEventLine("ERROR", StatusObject(410, "Expired", queue.status().message())));
      buf.close(std::ios_base::out).wait();
      return;
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<WatchQueue> q = *queue;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
    // Quiesce sets `stopping` and joins these threads only once every admitted request has
    // left (RequestGate::Close), so no watch starts after the join.
    std::lock_guard<std::mutex> lock(watches_mu);
    for (auto it = watches.begin(); it != watches.end();) {
      if (*it->done) {
        it->thread.join();
        it = watches.erase(it);
      } else {
        ++it;
      }
    }
    // A metadata watch's events, bookmarks included, carry PartialObjectMetadata objects.
    const bool metadata = form.kind == ResponseForm::Kind::kMetadata;
    const std::string kind = metadata ? "PartialObjectMetadata" : r.kind;
    const std::string api_version = metadata ? "meta.k8s.io/" + form.version : r.ApiVersion();
    std::thread pump([this, q, buf, write_text, deadline, replied, done, bookmarks, seen_rv,
                      metadata, form, kind, api_version]() mutable {
      auto next_bookmark = std::chrono::steady_clock::now() + options.bookmark_interval;
      try {
        while (!stopping && std::chrono::steady_clock::now() < deadline) {
          if (bookmarks && std::chrono::steady_clock::now() >= next_bookmark) {
            Json bookmark = Json::object();
            bookmark["kind"] = Json::string(kind);
            bookmark["apiVersion"] = Json::string(api_version);
            bookmark["metadata"]["resourceVersion"] = Json::string(seen_rv);
            write_text(WatchEventLine("BOOKMARK", bookmark));
            next_bookmark = std::chrono::steady_clock::now() + options.bookmark_interval;
          }
          if (replied->is_done()) {
            // The response finished early: the client hung up.
            try {
              replied->get();
            } catch (const std::exception&) {
              break;
            }
          }
          auto e = q->Pop(std::chrono::duration_cast<std::chrono::milliseconds>(
              std::min<Duration>(std::chrono::milliseconds(250), options.bookmark_interval)));
          // Whatever else is already queued goes out in the same write: one flush per
          // batch instead of per event (a relisting client's replay is tens of thousands).
          std::string lines;
          for (int batched = 0; e && batched < 256; ++batched) {
            const Json& object = *e->object;
            if (object.has_object_field("metadata") &&
                object.at("metadata").has_string_field("resourceVersion")) {
              seen_rv = object.at("metadata").at("resourceVersion").as_string();
            }
            lines += WatchEventLine(e->type, metadata ? Shaped(form, object) : object);
            e = q->Pop(std::chrono::milliseconds(0));
          }
          if (e) lines += WatchEventLine(e->type, metadata ? Shaped(form, *e->object) : *e->object);
          write_text(lines);
        }
      } catch (const std::exception& ex) {
        spdlog::debug("watch stream ended: {}", ex.what());
      }
      store.StopWatch(q);
      try {
        buf.close(std::ios_base::out).wait();
      } catch (const std::exception&) {
        // Already closed by a broken connection.
      }
      *done = true;
    });
    watches.push_back({std::move(pump), done});
  }
};

ApiServer::ApiServer(ObjectStore& store, const Clock& clock, ApiServerOptions options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(options))) {}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::RecordAudit(const AuditEntry& entry) { impl_->audit.Record(entry); }

std::string ApiServer::Url() const {
  return std::string(impl_->options.tls ? "https://" : "http://") + impl_->options.host + ":" +
         std::to_string(impl_->options.port);
}

Status ApiServer::Start() {
  if (!impl_->options.audit_log.empty()) {
    if (Status opened = impl_->audit.Open(impl_->options.audit_log); !opened.ok()) return opened;
  }
  try {
    http::experimental::listener::http_listener_config config;
    if (impl_->options.tls) {
      const TlsMaterial tls = *impl_->options.tls;
      config.set_ssl_context_callback([tls](boost::asio::ssl::context& ctx) {
        ctx.set_options(boost::asio::ssl::context::default_workarounds |
                        boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                        boost::asio::ssl::context::no_tlsv1 |
                        boost::asio::ssl::context::no_tlsv1_1);
        ctx.use_certificate_chain(
            boost::asio::buffer(tls.server_cert_pem.data(), tls.server_cert_pem.size()));
        ctx.use_private_key(
            boost::asio::buffer(tls.server_key_pem.data(), tls.server_key_pem.size()),
            boost::asio::ssl::context::pem);
      });
    }
    impl_->listener =
        std::make_unique<http::experimental::listener::http_listener>(Url() + "/", config);
    // Handled with the body read whole: a handler that read it with .get() on a pool thread
    // would hold that thread while another reads it, and a pool of a few threads deadlocked
    // under a burst of writes.
    impl_->listener->support([this](http::http_request r) {
      r.extract_vector().then([this, r](pplx::task<std::vector<unsigned char>> read) {
        std::string body;
        try {
          const std::vector<unsigned char> bytes = read.get();
          body.assign(bytes.begin(), bytes.end());
        } catch (const std::exception& e) {
          // The client went away before its body arrived: nobody to answer.
          spdlog::debug("kcau-sim: request body not received: {}", e.what());
          return;
        }
        impl_->Handle(r, body);
      });
    });
    impl_->listener->open().wait();
  } catch (const std::exception& e) {
    impl_->listener.reset();
    return UnavailableError("cannot listen on " + Url() + ": " + e.what());
  }
  return Status::Ok();
}

bool ApiServer::Quiesce() {
  if (impl_->quiesced.exchange(true)) return true;
  impl_->gate->Close();
  impl_->stopping = true;
  {
    std::lock_guard<std::mutex> lock(impl_->watches_mu);
    for (auto& w : impl_->watches) {
      if (w.thread.joinable()) w.thread.join();
    }
    impl_->watches.clear();
  }
  return impl_->gate->WaitForAnswers(std::chrono::seconds(5));
}

bool ApiServer::Stop() {
  Quiesce();
  if (impl_->listener) {
    try {
      auto closing = impl_->listener->close();
      for (int i = 0; i < 50 && !closing.is_done(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!closing.is_done()) {
        spdlog::warn("kcau-sim: the HTTP listener did not close within 5 s; leaving it");
        (void)impl_->listener.release();  // deliberately leaked: destroying it would wait too
        return false;
      }
      closing.wait();
    } catch (const std::exception&) {
      // A listener that failed to open has nothing to close.
    }
    impl_->listener.reset();
  }
  return true;
}

}  // namespace kcau::sim
