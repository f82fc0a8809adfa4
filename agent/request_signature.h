// Signed requests. Any agent may patch any Node (it needs patch on nodes to write its
// results), so without this a compromised node could write another node's update or hook
// request and that node's agent would obey. The controller therefore signs every request it
// writes with an Ed25519 private key only it holds; an agent holds only the public key and
// acts on a request only when its signature verifies AND names the agent's own node.
//
// The signed bytes (CanonicalRequest) are, each line ending in "\n":
//   kcau-request-v1
//   kind=update | kind=hook
//   node=<length>:<node name>
//   <annotation key>=<length>:<value>   one line per covered annotation, in the fixed order of
//   <annotation key>=-                  SignedAnnotationKeys; "-" for an absent annotation
//                                       (kRescanRequestAnnotation, added later: no line)
// where <length> is the value's length in bytes in decimal: the encoding is unambiguous
// whatever the values hold, so no two different requests share the same bytes.
// The signature goes into SignatureAnnotation(kind) as "v1:<node>:<base64 signature>"; the
// node is repeated there so that a refusal can tell a request copied from another node from
// a forged one. docs/security.md has the whole scheme.
//
// Thread-safety: the functions are pure; keys are immutable once loaded, and const methods
// may be called from several threads at once.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT: OpenSSL's own spelling of the type
namespace web::json {
class value;
}

namespace kcau::agent {

inline constexpr char kUpdateSignatureAnnotation[] = "kcau.io/update-request-signature";
inline constexpr char kHookSignatureAnnotation[] = "kcau.io/hook-request-signature";

enum class RequestKind {
  kUpdate,  // kcau.io/update-request and the annotations that go with it
  kHook,    // kcau.io/hook-request
};

// A Node's annotations by key; an absent annotation is not in the map.
using Annotations = std::map<std::string, std::string>;

// The annotations of `node` (a Node object); empty when it has none.
Annotations NodeAnnotations(const web::json::value& node);

// The annotations a request of `kind` consists of, in the order they are signed.
const std::vector<std::string>& SignedAnnotationKeys(RequestKind kind);
const char* SignatureAnnotation(RequestKind kind);

// The exact bytes signed for a request of `kind` to `node`; annotations other than the
// covered ones are ignored.
std::string CanonicalRequest(RequestKind kind, const std::string& node,
                             const Annotations& annotations);

// The controller's private key.
class RequestSigningKey {
 public:
  // `source` names where the PEM came from, for errors (a file name, never the key).
  static StatusOr<RequestSigningKey> FromPem(const std::string& pem, const std::string& source);
  static StatusOr<RequestSigningKey> FromPemFile(const std::string& path);

  // The value of SignatureAnnotation(kind) for this request to `node`.
  StatusOr<std::string> Sign(RequestKind kind, const std::string& node,
                             const Annotations& annotations) const;
  // The matching public key, PEM ("-----BEGIN PUBLIC KEY-----").
  StatusOr<std::string> PublicKeyPem() const;

 private:
  explicit RequestSigningKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// The public keys an agent trusts: usually one; two while the controller's key is rotated
// (docs/security.md). Without any, every request is refused.
class RequestVerifyKeys {
 public:
  RequestVerifyKeys() = default;
  // Every "PUBLIC KEY" block of `pem`; a private key in it is an error (agents must never
  // hold one).
  static StatusOr<RequestVerifyKeys> FromPem(const std::string& pem, const std::string& source);
  static StatusOr<RequestVerifyKeys> FromPemFile(const std::string& path);

  size_t size() const { return keys_.size(); }

  // Ok when the request of `kind` in `annotations` carries a signature by one of the keys
  // over exactly these annotations, for `node`. Otherwise an Unauthorized status whose
  // message says why: no public key, no signature, a malformed one, a bad one (forged or
  // changed), or one for another node.
  Status Verify(RequestKind kind, const std::string& node, const Annotations& annotations) const;

 private:
  std::vector<std::shared_ptr<EVP_PKEY>> keys_;
};

// What an agent writes as its result's message when it refuses a request.
std::string RefusalMessage(const Status& refused);

}  // namespace kcau::agent
