// Kubernetes protobuf bodies become the JSON the same object has: field numbers, maps,
// optional (pointer) fields kept even when zero, IntOrString, Time; unknown kinds and fields
// are refused rather than dropped.
#include "sim/kube_protobuf.h"

#include <gtest/gtest.h>

namespace kcau::sim {
namespace {

using kube::Json;

std::string Varint(uint64_t v) {
  std::string out;
  do {
    out += static_cast<char>((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v != 0);
  return out;
}
std::string Bytes(int number, const std::string& value) {
  return Varint(static_cast<uint64_t>(number) << 3 | 2) + Varint(value.size()) + value;
}
std::string Number(int number, uint64_t value) {
  return Varint(static_cast<uint64_t>(number) << 3) + Varint(value);
}
std::string Entry(int number, const std::string& key, const std::string& value) {
  return Bytes(number, Bytes(1, key) + Bytes(2, value));
}
std::string Envelope(const std::string& api_version, const std::string& kind,
                     const std::string& raw, const std::string& encoding = "") {
  return std::string("k8s\0", 4) + Bytes(1, Bytes(1, api_version) + Bytes(2, kind)) +
         Bytes(2, raw) + Bytes(3, encoding) + Bytes(4, "");
}
// ObjectMeta as gogo-protobuf writes it: every plain field, zero or not.
std::string Meta(const std::string& name, const std::string& extra = "") {
  return Bytes(1, Bytes(1, name) + Bytes(2, "") + Bytes(3, "") + Bytes(4, "") + Bytes(5, "") +
                      Bytes(6, "") + Number(7, 0) + Bytes(8, "") + extra);
}

TEST(KubeProtobufTest, ConfigMapWithEveryKindOfField) {
  const std::string owner = Bytes(1, "Deployment") + Bytes(3, "web") + Bytes(4, "u-1") +
                            Bytes(5, "apps/v1") + Number(6, 1);
  const std::string meta_extra =
      Entry(11, "app", "web") + Bytes(13, owner) + Bytes(14, "kcau.io/cleanup") + Bytes(14, "b");
  const std::string raw = Meta("settings", meta_extra) + Entry(2, "k", "v") +
                          Entry(2, "empty", "") + Entry(3, "bin", std::string("\x00\xff", 2)) +
                          Number(4, 0);
  auto json = KubernetesProtobufToJson(Envelope("v1", "ConfigMap", raw));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(*json, Json::parse(R"({
      "apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "settings", "labels": {"app": "web"},
                   "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "u-1",
                                        "apiVersion": "apps/v1", "controller": true}],
                   "finalizers": ["kcau.io/cleanup", "b"]},
      "data": {"k": "v", "empty": ""},
      "binaryData": {"bin": "AP8="},
      "immutable": false})"))
      << json->serialize();
}

TEST(KubeProtobufTest, BindingsAndBudgets) {
  const std::string binding =
      Meta("crb") +
      Bytes(2, Bytes(1, "User") + Bytes(2, "rbac.authorization.k8s.io") + Bytes(3, "bob") +
                   Bytes(4, "")) +
      Bytes(3, Bytes(1, "rbac.authorization.k8s.io") + Bytes(2, "ClusterRole") + Bytes(3, "r"));
  auto crb = KubernetesProtobufToJson(
      Envelope("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", binding));
  ASSERT_TRUE(crb.ok()) << crb.status().ToString();
  EXPECT_EQ(*crb, Json::parse(R"({
      "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
      "metadata": {"name": "crb"},
      "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob"}],
      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                  "name": "r"}})"));

  // maxUnavailable 0 is a budget, not an absent one; a percentage stays a string.
  const std::string selector =
      Bytes(2, Bytes(1, "tier") + Bytes(2, "In") + Bytes(3, "web") + Bytes(3, "db"));
  const std::string spec =
      Bytes(2, Bytes(1, Number(1, 1) + Number(2, 0) + Bytes(3, "50%")) + Bytes(2, selector) +
                   Bytes(3, Number(1, 0) + Number(2, 0) + Bytes(3, "")));
  const std::string status = Bytes(3, Number(1, 0) + Number(3, 0) + Number(4, 0));
  auto pdb = KubernetesProtobufToJson(
      Envelope("policy/v1", "PodDisruptionBudget", Meta("web") + spec + status));
  ASSERT_TRUE(pdb.ok()) << pdb.status().ToString();
  EXPECT_EQ(pdb->at("spec"), Json::parse(R"({"minAvailable": "50%", "maxUnavailable": 0,
      "selector": {"matchExpressions": [{"key": "tier", "operator": "In",
                                         "values": ["web", "db"]}]}})"))
      << pdb->serialize();
  EXPECT_FALSE(pdb->has_field("status")) << "an all-zero status is left out";
}

TEST(KubeProtobufTest, TimesAreRfc3339) {
  const std::string when = Bytes(8, Number(1, 1800000000) + Number(2, 5));
  auto ns = KubernetesProtobufToJson(Envelope("v1", "Namespace", Bytes(1, Bytes(1, "x") + when)));
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  EXPECT_EQ(ns->at("metadata").at("creationTimestamp").as_string(), "2027-01-15T08:00:00Z");
}

TEST(KubeProtobufTest, WhatItCannotDecodeIsRefusedNotDropped) {
  auto deployment = KubernetesProtobufToJson(Envelope("apps/v1", "Deployment", Meta("web")));
  EXPECT_EQ(deployment.status().code(), StatusCode::kNotFound);
  EXPECT_NE(deployment.status().message().find("not for apps/v1 Deployment"), std::string::npos);
  auto field = KubernetesProtobufToJson(Envelope("v1", "ConfigMap", Meta("x") + Bytes(9, "?")));
  EXPECT_EQ(field.status().code(), StatusCode::kNotFound);
  EXPECT_NE(field.status().message().find("ConfigMap field 9"), std::string::npos)
      << field.status().message();
  auto gzip = KubernetesProtobufToJson(Envelope("v1", "ConfigMap", Meta("x"), "gzip"));
  EXPECT_EQ(gzip.status().code(), StatusCode::kNotFound);

  EXPECT_EQ(KubernetesProtobufToJson("{\"kind\":\"ConfigMap\"}").status().code(),
            StatusCode::kInvalidArgument);
  const std::string truncated = Envelope("v1", "ConfigMap", Meta("x"));
  EXPECT_EQ(KubernetesProtobufToJson(truncated.substr(0, truncated.size() - 12)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(KubernetesProtobufToJson(Envelope("v1", "ConfigMap", Number(1, 3))).status().code(),
            StatusCode::kInvalidArgument)
      << "metadata must be bytes, not a varint";
}

}  // namespace
}  // namespace kcau::sim
