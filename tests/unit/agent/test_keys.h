// Ed25519 key pairs made in-process with OpenSSL, for tests that sign requests as the
// controller does and verify them as an agent does. Each call makes a new pair.
//
// Thread-safety: GenerateTestKeyPair may be called from any thread.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace kcau::agent::testing {

struct TestKeyPair {
  std::string private_pem;  // "-----BEGIN PRIVATE KEY-----" (PKCS#8)
  std::string public_pem;   // "-----BEGIN PUBLIC KEY-----"
};

inline TestKeyPair GenerateTestKeyPair() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
  if (!key) throw std::runtime_error("EVP_PKEY_Q_keygen(ED25519) failed");
  auto pem = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio || write(bio.get()) != 1) throw std::runtime_error("writing a test key failed");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
  };
  TestKeyPair pair;
  pair.private_pem = pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  pair.public_pem = pem([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key.get()); });
  return pair;
}

}  // namespace kcau::agent::testing
