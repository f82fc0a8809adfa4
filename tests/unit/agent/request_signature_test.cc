// Signing and verifying agent requests: what an agent accepts and what it refuses, and why.
#include "agent/request_signature.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>

#include "agent/protocol.h"
#include "tests/unit/agent/test_keys.h"

namespace kcau::agent {
namespace {

using testing::GenerateTestKeyPair;

RequestSigningKey SigningKey(const testing::TestKeyPair& pair) {
  auto key = RequestSigningKey::FromPem(pair.private_pem, "test key");
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return *key;
}

RequestVerifyKeys VerifyKeys(const std::string& pem) {
  auto keys = RequestVerifyKeys::FromPem(pem, "test public key");
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
  return *keys;
}

// An update request as the controller writes it, signed for `node`.
Annotations SignedUpdate(const RequestSigningKey& key, const std::string& node) {
  Annotations a = {
      {kRequestAnnotation, "run/uid-1/" + node + "/1"},
      {kPluginsAnnotation, R"([{"name":"packages","arguments":{}}])"},
      {kOptionsAnnotation,
       R"({"runPluginsSerially":false,"stopOnPluginFailure":false,"osRollingUpgrade":false})"},
      {kRebootModeAnnotation, "full"},
  };
  a[kUpdateSignatureAnnotation] = key.Sign(RequestKind::kUpdate, node, a).value();
  return a;
}

class RequestSignatureTest : public ::testing::Test {
 protected:
  testing::TestKeyPair pair_ = GenerateTestKeyPair();
  RequestSigningKey key_ = SigningKey(pair_);
  RequestVerifyKeys agent_keys_ = VerifyKeys(pair_.public_pem);
};

TEST_F(RequestSignatureTest, TheControllersRequestForThisNodeIsAccepted) {
  const Annotations request = SignedUpdate(key_, "node-a");
  EXPECT_TRUE(agent_keys_.Verify(RequestKind::kUpdate, "node-a", request).ok());

  Annotations hook = {{kHookRequestAnnotation, R"({"token":"t/pre","hook":"pre"})"}};
  hook[kHookSignatureAnnotation] = key_.Sign(RequestKind::kHook, "node-a", hook).value();
  EXPECT_TRUE(agent_keys_.Verify(RequestKind::kHook, "node-a", hook).ok());

  // Annotations the signature does not cover may change: the agent's own result, others'.
  Annotations more = request;
  more[kResultAnnotation] = R"({"token":"x","state":"Installed"})";
  more["example.com/owner"] = "team-a";
  EXPECT_TRUE(agent_keys_.Verify(RequestKind::kUpdate, "node-a", more).ok());
}

TEST_F(RequestSignatureTest, ARequestChangedAfterSigningIsRefused) {
  struct Case {
    std::string name;
    std::function<void(Annotations&)> tamper;
  };
  const std::vector<Case> cases = {
      {"token", [](Annotations& a) { a[kRequestAnnotation] = "run/uid-1/node-a/2"; }},
      {"plugins",
       [](Annotations& a) { a[kPluginsAnnotation] = R"([{"name":"evil","arguments":{}}])"; }},
      {"force-reboot added", [](Annotations& a) { a[kForceRebootAnnotation] = "true"; }},
      {"options",
       [](Annotations& a) {
         a[kOptionsAnnotation] =
             R"({"runPluginsSerially":false,"stopOnPluginFailure":false,"osRollingUpgrade":true})";
       }},
      {"scan mode added", [](Annotations& a) { a[kModeAnnotation] = kScanMode; }},
      {"reboot-mode", [](Annotations& a) { a[kRebootModeAnnotation] = "plugin"; }},
      {"reboot-mode removed", [](Annotations& a) { a.erase(kRebootModeAnnotation); }},
      {"reboot-mode emptied", [](Annotations& a) { a[kRebootModeAnnotation] = ""; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Annotations request = SignedUpdate(key_, "node-a");
    c.tamper(request);
    const Status s = agent_keys_.Verify(RequestKind::kUpdate, "node-a", request);
    EXPECT_EQ(s.code(), StatusCode::kUnauthorized);
    EXPECT_NE(s.message().find("bad signature"), std::string::npos) << s.message();
  }
}

TEST_F(RequestSignatureTest, RefusalsSayWhy) {
  const testing::TestKeyPair other = GenerateTestKeyPair();
  struct Case {
    std::string name;
    Annotations request;
    std::string want;
  };
  Annotations unsigned_request = SignedUpdate(key_, "node-b");
  unsigned_request.erase(kUpdateSignatureAnnotation);
  Annotations malformed = SignedUpdate(key_, "node-b");
  malformed[kUpdateSignatureAnnotation] = "not-a-signature";
  Annotations short_signature = SignedUpdate(key_, "node-b");
  short_signature[kUpdateSignatureAnnotation] = "v1:node-b:AAAA";
  // node-a's genuine request, copied onto node-b as it is.
  const Annotations copied = SignedUpdate(key_, "node-a");
  // The copy's signature relabelled for node-b: the bytes signed named node-a.
  Annotations relabelled = copied;
  std::string& sig = relabelled[kUpdateSignatureAnnotation];
  sig.replace(0, std::string("v1:node-a").size(), "v1:node-b");
  const std::vector<Case> cases = {
      {"missing signature", unsigned_request,
       "no signature (kcau.io/update-request-signature is missing)"},
      {"malformed signature", malformed, "malformed signature"},
      {"signature of the wrong size", short_signature, "malformed signature"},
      {"another node's request", copied,
       "signed for node node-a, not for this node (node-b): a request copied from another node"},
      {"another node's signature relabelled", relabelled, "bad signature"},
      {"signed with another key", SignedUpdate(SigningKey(other), "node-b"), "bad signature"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Status s = agent_keys_.Verify(RequestKind::kUpdate, "node-b", c.request);
    EXPECT_EQ(s.code(), StatusCode::kUnauthorized);
    EXPECT_NE(s.message().find(c.want), std::string::npos) << s.message();
  }
  EXPECT_EQ(RefusalMessage(agent_keys_.Verify(RequestKind::kUpdate, "node-b", unsigned_request)),
            "the agent refused this request: no signature "
            "(kcau.io/update-request-signature is missing)");
}

TEST_F(RequestSignatureTest, AHookSignatureDoesNotSignAnUpdateRequest) {
  // The same bytes under the other kind: kind= is part of what is signed.
  Annotations request = {{kRequestAnnotation, "t"}, {kHookRequestAnnotation, "t"}};
  request[kUpdateSignatureAnnotation] = key_.Sign(RequestKind::kHook, "node-a", request).value();
  const Status s = agent_keys_.Verify(RequestKind::kUpdate, "node-a", request);
  EXPECT_NE(s.message().find("bad signature"), std::string::npos) << s.message();
}

TEST_F(RequestSignatureTest, WithoutAPublicKeyEverythingIsRefused) {
  const Status s =
      RequestVerifyKeys().Verify(RequestKind::kUpdate, "node-a", SignedUpdate(key_, "node-a"));
  EXPECT_EQ(s.code(), StatusCode::kUnauthorized);
  EXPECT_EQ(s.message(), "the agent has no public key to verify requests with");
}

TEST_F(RequestSignatureTest, DuringARotationBothKeysAreTrusted) {
  const testing::TestKeyPair next = GenerateTestKeyPair();
  const RequestVerifyKeys both = VerifyKeys(pair_.public_pem + next.public_pem);
  EXPECT_EQ(both.size(), 2u);
  EXPECT_TRUE(both.Verify(RequestKind::kUpdate, "n", SignedUpdate(key_, "n")).ok());
  EXPECT_TRUE(both.Verify(RequestKind::kUpdate, "n", SignedUpdate(SigningKey(next), "n")).ok());
}

TEST(CanonicalRequestTest, IsTheDocumentedBytes) {
  const Annotations a = {{kRequestAnnotation, "r/u/n1/1"},
                         {kPluginsAnnotation, "[]"},
                         {kRebootModeAnnotation, ""},
                         {kResultAnnotation, "not covered"}};
  EXPECT_EQ(CanonicalRequest(RequestKind::kUpdate, "n1", a),
            "kcau-request-v1\n"
            "kind=update\n"
            "node=2:n1\n"
            "kcau.io/update-request=8:r/u/n1/1\n"
            "kcau.io/update-plugins=2:[]\n"
            "kcau.io/force-reboot=-\n"
            "kcau.io/update-options=-\n"
            "kcau.io/update-mode=-\n"
            "kcau.io/reboot-mode=0:\n");
  // The re-scan token came after v1's agents: present, it is signed; absent, it adds no line
  // (above), so a request without it is the bytes those agents verify.
  Annotations rescan = a;
  rescan[kRescanRequestAnnotation] = "r/u/n1/1/2";
  EXPECT_EQ(CanonicalRequest(RequestKind::kUpdate, "n1", rescan),
            CanonicalRequest(RequestKind::kUpdate, "n1", a) +
                "kcau.io/update-rescan-request=10:r/u/n1/1/2\n");
  EXPECT_EQ(CanonicalRequest(RequestKind::kHook, "n1", {{kHookRequestAnnotation, "{}"}}),
            "kcau-request-v1\nkind=hook\nnode=2:n1\nkcau.io/hook-request=2:{}\n");
}

TEST(CanonicalRequestTest, ValuesCannotBeShiftedAcrossFields) {
  // Without the lengths, moving text from one value into the line before would give the
  // same bytes.
  const Annotations one = {{kRequestAnnotation, "t"}, {kPluginsAnnotation, "[]"}};
  const Annotations two = {{kRequestAnnotation, "t\nkcau.io/update-plugins=[]"}};
  EXPECT_NE(CanonicalRequest(RequestKind::kUpdate, "n", one),
            CanonicalRequest(RequestKind::kUpdate, "n", two));
}

TEST(RequestKeysTest, LoadingSaysWhatIsWrong) {
  const testing::TestKeyPair pair = GenerateTestKeyPair();
  struct Case {
    std::string name;
    bool signing;  // RequestSigningKey, else RequestVerifyKeys
    std::string pem;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"public key as the signing key", true, pair.public_pem, "k.pem: not a PEM private key"},
      {"garbage as the signing key", true, "hello", "openssl genpkey -algorithm ed25519"},
      {"private key given to an agent", false, pair.private_pem,
       "k.pem: holds a private key; an agent must have the public key only"},
      {"no key for an agent", false, "hello", "k.pem: no PEM public key in it"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Status s = c.signing ? RequestSigningKey::FromPem(c.pem, "k.pem").status()
                               : RequestVerifyKeys::FromPem(c.pem, "k.pem").status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(c.want), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("BEGIN"), std::string::npos) << "key material in an error";
  }
  const Status missing = RequestSigningKey::FromPemFile("/nonexistent/key.pem").status();
  EXPECT_EQ(missing.message(), "/nonexistent/key.pem: cannot read: No such file or directory");
}

TEST(RequestKeysTest, FilesRoundTripAndThePublicHalfMatches) {
  const testing::TestKeyPair pair = GenerateTestKeyPair();
  const std::string dir = ::testing::TempDir();
  const std::string private_path = dir + "/kcau-signing-test.pem";
  const std::string public_path = dir + "/kcau-signing-test.pub.pem";
  std::ofstream(private_path) << pair.private_pem;
  auto key = RequestSigningKey::FromPemFile(private_path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->PublicKeyPem().value(), pair.public_pem);
  std::ofstream(public_path) << key->PublicKeyPem().value();
  auto keys = RequestVerifyKeys::FromPemFile(public_path);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_TRUE(keys->Verify(RequestKind::kUpdate, "n", SignedUpdate(*key, "n")).ok());
  std::remove(private_path.c_str());
  std::remove(public_path.c_str());
}

}  // namespace
}  // namespace kcau::agent
