#include "kube/label_selector.h"

#include <gtest/gtest.h>

namespace kcau::kube {
namespace {

TEST(LabelSelectorTest, EqualitySetAndExistence) {
  const std::map<std::string, std::string> labels = {{"app", "web"}, {"tier", "front"}};
  struct Case {
    std::string selector;
    bool want;
  };
  for (const Case& c :
       {Case{"", true}, Case{"app=web", true}, Case{"app==web", true}, Case{"app!=web", false},
        Case{"app=web,tier=back", false}, Case{"tier in (front,back)", true},
        Case{"tier notin (front)", false}, Case{"app", true}, Case{"!app", false},
        Case{"!legacy", true}, Case{"missing", false}}) {
    SCOPED_TRACE(c.selector);
    auto s = ParseLabelSelector(c.selector);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->Matches(labels), c.want);
  }
}

TEST(LabelSelectorTest, MalformedSelectorsAreRefused) {
  EXPECT_FALSE(ParseLabelSelector("app in web").ok());
  EXPECT_FALSE(ParseLabelSelector("=web").ok());
  auto f = ParseFieldSelector("status.podIP=1.2.3.4");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("status.podIP"), std::string::npos);
}

TEST(FieldSelectorTest, MatchesNodeNameAndName) {
  web::json::value pod = web::json::value::parse(
      R"({"metadata":{"name":"p","namespace":"web"},"spec":{"nodeName":"n1"}})");
  auto s = ParseFieldSelector("spec.nodeName=n1,metadata.name!=q");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(SelectableFields(pod)));
  EXPECT_FALSE(ParseFieldSelector("spec.nodeName=n2")->Matches(SelectableFields(pod)));
}

// The in-place readers decide exactly as the map-based ones, for every operator.
TEST(SelectorTest, InPlaceReadersAgreeWithMaps) {
  web::json::value pod = web::json::value::parse(
      R"({"metadata":{"name":"p","namespace":"web","labels":{"app":"web","tier":"fe"}},)"
      R"("spec":{"nodeName":"n1"},"status":{"phase":"Running"}})");
  for (const char* text : {"", "app=web", "app!=web", "app in (db,web)", "app notin (web)", "tier",
                           "!tier", "gone", "!gone", "app=web,tier=be"}) {
    auto s = ParseLabelSelector(text);
    ASSERT_TRUE(s.ok()) << text;
    EXPECT_EQ(s->MatchesLabelsOf(pod), s->Matches(LabelsOf(pod))) << text;
  }
  for (const char* text : {"spec.nodeName=n1", "spec.nodeName=n2", "status.phase!=Running",
                           "metadata.namespace=web,metadata.name=p", "spec.unschedulable=false"}) {
    auto s = ParseFieldSelector(text);
    ASSERT_TRUE(s.ok()) << text;
    EXPECT_EQ(s->MatchesFieldsOf(pod), s->Matches(SelectableFields(pod))) << text;
  }
}

TEST(FieldSelectorTest, EventsAreFoundByTheirInvolvedObject) {
  web::json::value event = web::json::value::parse(
      R"({"metadata":{"name":"e1"},"involvedObject":{"kind":"UpdateRun","name":"run-1"},)"
      R"("reason":"NodeUpdated","type":"Normal"})");
  EXPECT_TRUE(ParseFieldSelector("involvedObject.name=run-1,involvedObject.kind=UpdateRun")
                  ->MatchesFieldsOf(event));
  EXPECT_FALSE(ParseFieldSelector("involvedObject.name=run-2")->MatchesFieldsOf(event));
  EXPECT_TRUE(ParseFieldSelector("reason=NodeUpdated,type!=Warning")->MatchesFieldsOf(event));
}

}  // namespace
}  // namespace kcau::kube
