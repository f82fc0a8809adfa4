#include "sim/certificates.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

namespace kcau::sim {

namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

std::string OpenSslError(const std::string& what) {
  char buf[256] = {0};
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  return what + ": " + buf;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

StatusOr<CertPtr> MakeCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                           int days, const std::vector<std::pair<int, std::string>>& extensions) {
  CertPtr cert(X509_new());
  if (!cert) return InternalError(OpenSslError("X509_new"));
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("kcau-sim"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer == nullptr ? cert.get() : issuer;
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  for (const auto& [nid, value] : extensions) {
    if (!AddExtension(cert.get(), signer, nid, value)) {
      return InternalError(OpenSslError("certificate extension " + value));
    }
  }
  if (X509_sign(cert.get(), issuer_key == nullptr ? key : issuer_key, EVP_sha256()) == 0) {
    return InternalError(OpenSslError("signing the certificate"));
  }
  return cert;
}

std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

StatusOr<CertPtr> ReadCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return InvalidArgumentError(OpenSslError("not a PEM certificate"));
  return cert;
}

StatusOr<KeyPtr> ReadKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return InvalidArgumentError(OpenSslError("not a PEM private key"));
  return key;
}

// A serving certificate for the names, signed by ca / ca_key.
StatusOr<TlsMaterial> Issue(X509* ca, EVP_PKEY* ca_key, const std::vector<std::string>& dns_names,
                            const std::vector<std::string>& ip_addresses, int days) {
  KeyPtr server_key(EVP_EC_gen("P-256"));
  if (!server_key) return InternalError(OpenSslError("generating an EC key"));
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : ip_addresses) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  auto server = MakeCert(server_key.get(), "kcau-sim", ca, ca_key, days,
                         {{NID_basic_constraints, "critical,CA:FALSE"},
                          {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                          {NID_ext_key_usage, "serverAuth"},
                          {NID_subject_alt_name, san}});
  if (!server.ok()) return server.status();
  return TlsMaterial{CertPem(ca), KeyPem(ca_key), CertPem(server->get()), KeyPem(server_key.get())};
}

}  // namespace

StatusOr<TlsMaterial> GenerateServingCertificates(const std::vector<std::string>& dns_names,
                                                  const std::vector<std::string>& ip_addresses,
                                                  int days, int ca_days) {
  KeyPtr ca_key(EVP_EC_gen("P-256"));
  if (!ca_key) return InternalError(OpenSslError("generating an EC key"));
  auto ca = MakeCert(ca_key.get(), "kcau-sim-ca", nullptr, nullptr, ca_days,
                     {{NID_basic_constraints, "critical,CA:TRUE"},
                      {NID_key_usage, "critical,keyCertSign,cRLSign"},
                      {NID_subject_key_identifier, "hash"}});
  if (!ca.ok()) return ca.status();
  return Issue(ca->get(), ca_key.get(), dns_names, ip_addresses, days);
}

StatusOr<TlsMaterial> IssueServingCertificate(const TlsMaterial& ca,
                                              const std::vector<std::string>& dns_names,
                                              const std::vector<std::string>& ip_addresses,
                                              int days) {
  auto cert = ReadCert(ca.ca_cert_pem);
  if (!cert.ok()) return cert.status();
  auto key = ReadKey(ca.ca_key_pem);
  if (!key.ok()) return key.status();
  return Issue(cert->get(), key->get(), dns_names, ip_addresses, days);
}

Status CheckTlsMaterial(const TlsMaterial& tls) {
  auto ca = ReadCert(tls.ca_cert_pem);
  if (!ca.ok()) return InvalidArgumentError("CA certificate: " + ca.status().message());
  auto ca_key = ReadKey(tls.ca_key_pem);
  if (!ca_key.ok()) return InvalidArgumentError("CA key: " + ca_key.status().message());
  auto server = ReadCert(tls.server_cert_pem);
  if (!server.ok()) {
    return InvalidArgumentError("serving certificate: " + server.status().message());
  }
  auto server_key = ReadKey(tls.server_key_pem);
  if (!server_key.ok()) {
    return InvalidArgumentError("serving key: " + server_key.status().message());
  }
  if (X509_check_private_key(ca->get(), ca_key->get()) != 1) {
    return InvalidArgumentError("CA key: does not belong to the CA certificate");
  }
  if (X509_check_private_key(server->get(), server_key->get()) != 1) {
    return InvalidArgumentError("serving key: does not belong to the serving certificate");
  }
  if (X509_verify(server->get(), X509_get0_pubkey(ca->get())) != 1) {
    return InvalidArgumentError("serving certificate: not signed by the CA");
  }
  ERR_clear_error();
  return Status::Ok();
}

StatusOr<TimePoint> CertificateNotAfter(const std::string& cert_pem) {
  auto cert = ReadCert(cert_pem);
  if (!cert.ok()) return cert.status();
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert->get()), &tm) != 1) {
    return InvalidArgumentError(OpenSslError("certificate notAfter"));
  }
  return WallClock::from_time_t(timegm(&tm));
}

}  // namespace kcau::sim
