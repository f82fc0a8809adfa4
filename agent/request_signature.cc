#include "agent/request_signature.h"

#include <cpprest/json.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "agent/protocol.h"

namespace kcau::agent {

namespace {

constexpr char kMessageVersion[] = "kcau-request-v1";
constexpr char kSignatureVersion[] = "v1";
constexpr size_t kEd25519SignatureBytes = 64;
constexpr char kMakeKeyHint[] = "make one with: openssl genpkey -algorithm ed25519 -out key.pem";
constexpr char kPublicKeyHint[] =
    "derive it from the controller's key with: openssl pkey -in key.pem -pubout -out key.pub.pem";

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& text) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Not Ed25519: says which kind it is instead, and how to make the right one.
Status CheckEd25519(EVP_PKEY* key, const std::string& source) {
  if (EVP_PKEY_get_id(key) == EVP_PKEY_ED25519) return Status::Ok();
  const char* name = EVP_PKEY_get0_type_name(key);
  return InvalidArgumentError(source + ": key type " + (name != nullptr ? name : "unknown") +
                              ", not Ed25519 (" + kMakeKeyHint + ")");
}

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(path + ": cannot read: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Base64Encode(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Strict: padded standard base64 and nothing else (EVP_DecodeBlock alone would skip
// whitespace and count the padding as zero bytes).
std::optional<std::string> Base64Decode(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=' && i + 2 >= text.size()) {
      ++padding;
    } else if (padding > 0 ||
               !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) {
      return std::nullopt;
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string Field(const std::string& key, const std::string* value) {
  return key + "=" + (value != nullptr ? std::to_string(value->size()) + ":" + *value : "-") + "\n";
}

struct ParsedSignature {
  std::string node;
  std::string signature;  // raw bytes
};

// "v1:<node>:<base64>"; nullopt when it is not that.
std::optional<ParsedSignature> ParseSignature(const std::string& value) {
  const std::string prefix = std::string(kSignatureVersion) + ":";
  if (value.rfind(prefix, 0) != 0) return std::nullopt;
  const size_t colon = value.find(':', prefix.size());
  if (colon == std::string::npos || colon == prefix.size()) return std::nullopt;
  auto signature = Base64Decode(value.substr(colon + 1));
  if (!signature || signature->size() != kEd25519SignatureBytes) return std::nullopt;
  return ParsedSignature{value.substr(prefix.size(), colon - prefix.size()), *signature};
}

}  // namespace

Annotations NodeAnnotations(const web::json::value& node) {
  Annotations out;
  if (!node.has_object_field("metadata") || !node.at("metadata").has_object_field("annotations")) {
    return out;
  }
  for (const auto& [key, value] : node.at("metadata").at("annotations").as_object()) {
    if (value.is_string()) out[key] = value.as_string();
  }
  return out;
}

const std::vector<std::string>& SignedAnnotationKeys(RequestKind kind) {
  static const std::vector<std::string> update = {
      kRequestAnnotation, kPluginsAnnotation,    kForceRebootAnnotation,  kOptionsAnnotation,
      kModeAnnotation,    kRebootModeAnnotation, kRescanRequestAnnotation};
  static const std::vector<std::string> hook = {kHookRequestAnnotation};
  return kind == RequestKind::kUpdate ? update : hook;
}

const char* SignatureAnnotation(RequestKind kind) {
  return kind == RequestKind::kUpdate ? kUpdateSignatureAnnotation : kHookSignatureAnnotation;
}

std::string CanonicalRequest(RequestKind kind, const std::string& node,
                             const Annotations& annotations) {
  std::string message = std::string(kMessageVersion) + "\n";
  message += kind == RequestKind::kUpdate ? "kind=update\n" : "kind=hook\n";
  message += Field("node", &node);
  for (const auto& key : SignedAnnotationKeys(kind)) {
    auto it = annotations.find(key);
    // Added after v1's agents shipped: absent, it adds no line, so a request without it
    // signs the bytes those agents verify.
    if (it == annotations.end() && key == kRescanRequestAnnotation) continue;
    message += Field(key, it == annotations.end() ? nullptr : &it->second);
  }
  return message;
}

StatusOr<RequestSigningKey> RequestSigningKey::FromPem(const std::string& pem,
                                                       const std::string& source) {
  auto bio = MemoryBio(pem);
  std::shared_ptr<EVP_PKEY> key =
      Own(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();  // what failed is said below; nothing is left on this thread's queue
  if (!key) {
    return InvalidArgumentError(source + ": not a PEM private key (" + kMakeKeyHint + ")");
  }
  if (Status s = CheckEd25519(key.get(), source); !s.ok()) return s;
  return RequestSigningKey(std::move(key));
}

StatusOr<RequestSigningKey> RequestSigningKey::FromPemFile(const std::string& path) {
  auto pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  return FromPem(*pem, path);
}

StatusOr<std::string> RequestSigningKey::Sign(RequestKind kind, const std::string& node,
                                              const Annotations& annotations) const {
  const std::string message = CanonicalRequest(kind, node, annotations);
  MdCtx ctx(EVP_MD_CTX_new());
  unsigned char signature[kEd25519SignatureBytes];
  size_t size = sizeof(signature);
  const bool signed_ok =
      ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
      EVP_DigestSign(ctx.get(), signature, &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  ERR_clear_error();
  if (!signed_ok) return InternalError("signing the request to node " + node + " failed");
  return std::string(kSignatureVersion) + ":" + node + ":" + Base64Encode(signature, size);
}

StatusOr<std::string> RequestSigningKey::PublicKeyPem() const {
  auto bio = std::unique_ptr<BIO, BioFree>(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ERR_clear_error();
    return InternalError("writing the public key as PEM failed");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

StatusOr<RequestVerifyKeys> RequestVerifyKeys::FromPem(const std::string& pem,
                                                       const std::string& source) {
  if (pem.find("PRIVATE KEY-----") != std::string::npos) {
    return InvalidArgumentError(source +
                                ": holds a private key; an agent must have the public key only (" +
                                kPublicKeyHint + ")");
  }
  RequestVerifyKeys keys;
  auto bio = MemoryBio(pem);
  while (bio) {
    std::shared_ptr<EVP_PKEY> key = Own(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) break;  // the end of the text (or a block that is not a public key)
    if (Status s = CheckEd25519(key.get(), source); !s.ok()) return s;
    keys.keys_.push_back(std::move(key));
  }
  ERR_clear_error();
  if (keys.keys_.empty()) {
    return InvalidArgumentError(source + ": no PEM public key in it (" + kPublicKeyHint + ")");
  }
  return keys;
}

StatusOr<RequestVerifyKeys> RequestVerifyKeys::FromPemFile(const std::string& path) {
  auto pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  return FromPem(*pem, path);
}

Status RequestVerifyKeys::Verify(RequestKind kind, const std::string& node,
                                 const Annotations& annotations) const {
  const std::string annotation = SignatureAnnotation(kind);
  if (keys_.empty()) {
    return UnauthorizedError("the agent has no public key to verify requests with");
  }
  auto found = annotations.find(annotation);
  if (found == annotations.end()) {
    return UnauthorizedError("no signature (" + annotation + " is missing)");
  }
  auto parsed = ParseSignature(found->second);
  if (!parsed) {
    return UnauthorizedError("malformed signature (" + annotation +
                             " is not v1:NODE:BASE64-ED25519-SIGNATURE)");
  }
  // Checked against the node the signature names, so that a genuine request copied from
  // another node is told apart from a forged one; it is refused either way.
  const std::string message = CanonicalRequest(kind, parsed->node, annotations);
  bool verified = false;
  for (const auto& key : keys_) {
    MdCtx ctx(EVP_MD_CTX_new());
    verified = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
               EVP_DigestVerify(
                   ctx.get(), reinterpret_cast<const unsigned char*>(parsed->signature.data()),
                   parsed->signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                   message.size()) == 1;
    if (verified) break;
  }
  ERR_clear_error();
  if (!verified) {
    return UnauthorizedError(
        "bad signature (it does not verify with the controller's public key: the request was "
        "not written by kcau-controller, or was changed after it was signed)");
  }
  if (parsed->node != node) {
    return UnauthorizedError("signed for node " + parsed->node + ", not for this node (" + node +
                             "): a request copied from another node");
  }
  return Status::Ok();
}

std::string RefusalMessage(const Status& refused) {
  return "the agent refused this request: " + refused.message();
}

}  // namespace kcau::agent
