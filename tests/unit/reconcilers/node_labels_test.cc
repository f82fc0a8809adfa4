#include "reconcilers/node_labels.h"

#include <gtest/gtest.h>

#include "reconcilers/label_match.h"

namespace kcau::reconcilers {
namespace {

const std::map<std::string, std::string> kLabels = {
    {"kubernetes.io/hostname", "node-7"},
    {"node-role.kubernetes.io/control-plane", ""},
    {"topology.kubernetes.io/zone", "zone-b"},
};

TEST(NodeLabelsTest, FindsEachLabelAndNoOther) {
  const NodeLabels labels(kLabels);
  EXPECT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels.Find("kubernetes.io/hostname"), "node-7");
  EXPECT_EQ(labels.Find("topology.kubernetes.io/zone"), "zone-b");
  // An empty value is a label all the same.
  EXPECT_EQ(labels.Find("node-role.kubernetes.io/control-plane"), "");
  EXPECT_TRUE(labels.Has("node-role.kubernetes.io/control-plane"));
  // Before the first key, between two, after the last, a prefix of one, one with a prefix.
  for (const char* absent :
       {"a", "kubernetes.io/os", "zzz", "kubernetes.io/host", "topology.kubernetes.io/zone2", ""}) {
    EXPECT_FALSE(labels.Has(absent)) << absent;
  }
  EXPECT_EQ(labels.ToMap(), kLabels);
}

TEST(NodeLabelsTest, NoLabelsFindNothing) {
  const NodeLabels none;
  EXPECT_EQ(none.size(), 0u);
  EXPECT_FALSE(none.Has(""));
  EXPECT_EQ(none, NodeLabels(std::map<std::string, std::string>{}));
}

TEST(NodeLabelsTest, SetMakesNewLabelsAndLeavesCopiesAlone) {
  NodeLabels labels(kLabels);
  const NodeLabels copy = labels;
  EXPECT_EQ(copy, labels);
  labels.Set("topology.kubernetes.io/zone", "zone-c");
  labels.Set("pool", "gpu");
  EXPECT_EQ(labels.Find("topology.kubernetes.io/zone"), "zone-c");
  EXPECT_EQ(labels.Find("pool"), "gpu");
  EXPECT_EQ(labels.size(), 4u);
  EXPECT_EQ(copy.Find("topology.kubernetes.io/zone"), "zone-b");
  EXPECT_FALSE(copy.Has("pool"));
  EXPECT_NE(copy, labels);
  // Equal by value, not by sharing.
  EXPECT_EQ(copy, NodeLabels(kLabels));
}

TEST(NodeLabelsTest, SelectorsMatchThroughThem) {
  const NodeLabels labels(kLabels);
  crd::LabelSelector zone_b;
  zone_b.match_labels["topology.kubernetes.io/zone"] = "zone-b";
  EXPECT_TRUE(SelectorMatches(zone_b, labels));
  zone_b.match_labels["kubernetes.io/hostname"] = "node-8";
  EXPECT_FALSE(SelectorMatches(zone_b, labels));

  crd::LabelSelector expressions;
  expressions.match_expressions.push_back(
      {"topology.kubernetes.io/zone", "In", {"zone-a", "zone-b"}});
  expressions.match_expressions.push_back({"node-role.kubernetes.io/control-plane", "Exists", {}});
  expressions.match_expressions.push_back({"pool", "DoesNotExist", {}});
  EXPECT_TRUE(SelectorMatches(expressions, labels));
  expressions.match_expressions.push_back({"kubernetes.io/hostname", "NotIn", {"node-7"}});
  EXPECT_FALSE(SelectorMatches(expressions, labels));
}

}  // namespace
}  // namespace kcau::reconcilers
