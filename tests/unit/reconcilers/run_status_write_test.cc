// AppendStatusPatch: a status write sends only what changed, node entry by node entry.
#include "reconcilers/run_status_write.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "crd/names.h"
#include "crd/updaterun_codec.h"

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

// A status of `count` nodes, all pending, as a run's first pass leaves it.
crd::UpdateRunStatus Pending(int count) {
  crd::UpdateRunStatus st;
  st.phase = crd::RunPhase::kRunning;
  st.revision = 2;
  st.nodes_total = count;
  for (int i = 0; i < count; ++i) {
    crd::NodeResult r;
    r.name = "node-" + std::to_string(i);
    st.nodes.push_back(r);
  }
  return st;
}

void Succeed(crd::NodeResult& r) {
  r.phase = crd::NodePhase::kSucceeded;
  r.attempts = 1;
  r.updates_installed = 2;
  r.rebooted = true;
  r.message = crd::NodeSucceededMessage(2, true);
}

// A pass keeps how many entries status.nodes listed and the decoded entries, not their tree
// (TakeStatusNodes), and the writer encodes the new entries one at a time
// (crd::StatusParts): the patch must be the very one the two whole trees give, in the small
// form and in the large one (above kCompactSucceededAbove, succeeded nodes leave
// status.nodes for groups).
Json PatchInParts(const Json& before, const crd::UpdateRunStatus& after) {
  Json run = Json::object();
  run["status"] = before;
  const size_t listed = TakeStatusNodes(run);
  EXPECT_FALSE(run.at("status").has_field("nodes"));
  const crd::UpdateRunStatus decoded = crd::DecodeUpdateRunStatus(before).value();
  Json ops = Json::array();
  AppendStatusPatch(run.at("status"), listed, decoded.nodes, crd::EncodeUpdateRunStatusParts(after),
                    ops);
  return ops;
}

TEST(AppendStatusPatchTest, InPartsThePatchTheWholeTreeGives) {
  struct Change {
    const char* name;
    int nodes;
    std::function<void(crd::UpdateRunStatus&)> change;
  };
  const int large = static_cast<int>(crd::kCompactSucceededAbove) + 100;
  const std::vector<Change> changes = {
      {"nothing", 3, [](crd::UpdateRunStatus&) {}},
      {"one node moves", 3,
       [](crd::UpdateRunStatus& st) { st.nodes[1].phase = crd::NodePhase::kCordoned; }},
      {"one node moves, large", large,
       [](crd::UpdateRunStatus& st) { st.nodes[7].phase = crd::NodePhase::kDraining; }},
      {"a node succeeds, large: it leaves status.nodes for a group", large,
       [](crd::UpdateRunStatus& st) { Succeed(st.nodes[3]); }},
      {"every node succeeds, large: status.nodes goes", large,
       [](crd::UpdateRunStatus& st) {
         for (auto& r : st.nodes) Succeed(r);
         st.phase = crd::RunPhase::kSucceeded;
       }},
      {"the nodes go", 3, [](crd::UpdateRunStatus& st) { st.nodes.clear(); }},
  };
  for (const auto& c : changes) {
    const crd::UpdateRunStatus before = Pending(c.nodes);
    crd::UpdateRunStatus after = before;
    c.change(after);
    for (const bool first_write : {false, true}) {
      // A first write finds no status.nodes at all.
      const Json before_json = first_write ? crd::EncodeUpdateRunStatus(crd::UpdateRunStatus{})
                                           : crd::EncodeUpdateRunStatus(before);
      Json whole = Json::array();
      AppendStatusPatch(before_json, crd::EncodeUpdateRunStatus(after), whole);
      EXPECT_EQ(PatchInParts(before_json, after).serialize(), whole.serialize())
          << c.name << (first_write ? ", first" : "");
    }
  }
  // And what it gives: one entry replaced for one node moved of 600.
  crd::UpdateRunStatus after = Pending(large);
  after.nodes[7].phase = crd::NodePhase::kDraining;
  const Json ops = PatchInParts(crd::EncodeUpdateRunStatus(Pending(large)), after);
  ASSERT_EQ(ops.size(), 1u) << ops.serialize();
  EXPECT_EQ(ops.at(0).at("path").as_string(), "/status/nodes/7");
  EXPECT_EQ(ops.at(0).at("value").at("phase").as_string(), "Draining");
}

}  // namespace
}  // namespace kcau::reconcilers
