// AppendStatusPatch: a status write sends only what changed, node entry by node entry.
#include "reconcilers/run_status_write.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kcau::reconcilers {
namespace {

using kube::Json;

// "op path" of each operation, in order.
std::vector<std::string> Ops(const std::string& before, const std::string& after) {
  Json ops = Json::array();
  AppendStatusPatch(Json::parse(before), Json::parse(after), ops);
  std::vector<std::string> out;
  for (size_t i = 0; i < ops.size(); ++i) {
    out.push_back(ops.at(i).at("op").as_string() + " " + ops.at(i).at("path").as_string());
  }
  return out;
}

struct Case {
  const char* name;
  const char* before;
  const char* after;
  std::vector<std::string> ops;
};

TEST(AppendStatusPatchTest, SendsOnlyWhatChanged) {
  const std::vector<Case> cases = {
      {"nothing changed",
       R"({"phase":"Running","revision":3})",
       R"({"phase":"Running","revision":3})",
       {}},
      {"a field changed, one added, one gone",
       R"({"phase":"Pending","old":1,"revision":3})",
       R"({"phase":"Running","revision":4,"startTime":"t"})",
       {"replace /status/phase", "replace /status/revision", "add /status/startTime",
        "remove /status/old"}},
      {"one node of three moved",
       R"({"nodes":[{"name":"a","phase":"Pending"},{"name":"b","phase":"Draining"},
                    {"name":"c","phase":"Pending"}]})",
       R"({"nodes":[{"name":"a","phase":"Pending"},{"name":"b","phase":"Updating"},
                    {"name":"c","phase":"Pending"}]})",
       {"replace /status/nodes/1"}},
      {"the plan's nodes changed: the list goes whole",
       R"({"nodes":[{"name":"a"},{"name":"b"}]})",
       R"({"nodes":[{"name":"a"}]})",
       {"replace /status/nodes"}},
      {"a key that needs escaping", R"({})", R"({"a/b~c":1})", {"add /status/a~1b~0c"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Ops(c.before, c.after), c.ops) << c.name;
  }
}

TEST(AppendStatusPatchTest, CarriesTheNewValues) {
  Json ops = Json::array();
  AppendStatusPatch(Json::parse(R"({"nodes":[{"name":"a","phase":"Pending"}]})"),
                    Json::parse(R"({"nodes":[{"name":"a","phase":"Cordoned"}]})"), ops);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops.at(0).at("value").at("phase").as_string(), "Cordoned");
}

}  // namespace
}  // namespace kcau::reconcilers
