#include "controller/options.h"

#include <gtest/gtest.h>

namespace kcau::controller {
namespace {

TEST(ControllerOptionsTest, DefaultsAndBothFlagForms) {
  auto o = ParseControllerOptions({"--kubeconfig", "/tmp/kc", "--metrics-addr=127.0.0.1:9000",
                                   "--workers=4", "--resync-seconds", "30"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->kubeconfig, "/tmp/kc");
  EXPECT_EQ(o->metrics_addr, "127.0.0.1:9000");
  EXPECT_EQ(o->workers, 4);
  EXPECT_EQ(o->resync_period, std::chrono::seconds(30));
  EXPECT_EQ(o->log_level, "info");
}

TEST(ControllerOptionsTest, RequestSigningKey) {
  // Unset by default: kcau-controller's main refuses to start without it.
  EXPECT_EQ(ParseControllerOptions({}).value().request_signing_key, "");
  EXPECT_EQ(ParseControllerOptions({"--request-signing-key", "/keys/private.pem"})
                .value()
                .request_signing_key,
            "/keys/private.pem");
  EXPECT_EQ(ParseControllerOptions({"--request-signing-key"}).status().message(),
            "--request-signing-key: needs a value");
}

TEST(ControllerOptionsTest, BadFlagsAreNamed) {
  struct Case {
    std::vector<std::string> args;
    std::string want;
  };
  for (const Case& c : {Case{{"--workers", "0"}, "--workers: \"0\" is not a positive integer"},
                        Case{{"--workers=two"}, "--workers: \"two\" is not a positive integer"},
                        Case{{"--kubeconfig"}, "--kubeconfig: needs a value"},
                        Case{{"--log-level=loud"}, "--log-level: \"loud\" is not one of"},
                        Case{{"--frobnicate"}, "unknown flag \"--frobnicate\""}}) {
    SCOPED_TRACE(c.args[0]);
    auto o = ParseControllerOptions(c.args);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(c.want), std::string::npos) << o.status().message();
  }
}

}  // namespace
}  // namespace kcau::controller
