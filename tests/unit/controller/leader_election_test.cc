#include "controller/leader_election.h"

#include <gtest/gtest.h>

#include "kube/kube_client.h"
#include "sim/object_store.h"
#include "sim/store_client.h"

namespace kcau::controller {
namespace {

const TimePoint kStart = WallClock::from_time_t(1800000000);

TEST(DecideLeaseTest, Table) {
  const auto renewed = kStart;
  struct Case {
    std::string name;
    std::optional<LeaseRecord> lease;
    Duration unchanged_for;  // as this replica has seen it
    LeaseAction want;
  };
  const std::vector<Case> cases = {
      {"no lease object", std::nullopt, Duration::zero(), LeaseAction::kAcquire},
      {"released (no holder)", LeaseRecord{"", 15, renewed, renewed, 3}, Duration::zero(),
       LeaseAction::kAcquire},
      {"ours", LeaseRecord{"me", 15, renewed, renewed, 0}, std::chrono::seconds(100),
       LeaseAction::kRenew},
      {"theirs, fresh", LeaseRecord{"them", 15, renewed, renewed, 0}, std::chrono::seconds(10),
       LeaseAction::kWait},
      {"theirs, at the edge", LeaseRecord{"them", 15, renewed, renewed, 0},
       std::chrono::seconds(15), LeaseAction::kWait},
      {"theirs, expired", LeaseRecord{"them", 15, renewed, renewed, 0}, std::chrono::seconds(16),
       LeaseAction::kAcquire},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(DecideLease(c.lease, "me", c.unchanged_for), c.want);
  }
}

class LeaderElectorTest : public ::testing::Test {
 protected:
  LeaderElectorTest() : clock_(kStart), store_(clock_), client_(store_) {}
  LeaderElectionConfig Config(const std::string& id) {
    LeaderElectionConfig c;
    c.identity = id;
    return c;
  }
  std::string Holder() {
    auto lease = store_.Get(kube::resources::Leases(), {"default", "kcau-controller"});
    return lease.ok() ? lease->at("spec").at("holderIdentity").as_string() : "<none>";
  }
  int Transitions() {
    auto lease = store_.Get(kube::resources::Leases(), {"default", "kcau-controller"});
    return lease->at("spec").at("leaseTransitions").as_integer();
  }
  FakeClock clock_;
  sim::ObjectStore store_;
  sim::StoreClient client_;
};

TEST_F(LeaderElectorTest, OneLeaderUntilTheLeaseExpires) {
  LeaderElector a(client_, clock_, Config("a"));
  LeaderElector b(client_, clock_, Config("b"));
  EXPECT_EQ(a.TryAcquireOrRenew().value(), true);
  EXPECT_EQ(b.TryAcquireOrRenew().value(), false);
  EXPECT_EQ(Holder(), "a");
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(a.TryAcquireOrRenew().value(), true) << "renewal";
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(b.TryAcquireOrRenew().value(), false) << "renewed 10 s ago: still a's";
  clock_.Advance(std::chrono::seconds(7));  // a stopped renewing 17 s ago
  EXPECT_EQ(b.TryAcquireOrRenew().value(), false)
      << "b has seen a's last renewal for 7 s only: expiry is judged by what b observed";
  clock_.Advance(std::chrono::seconds(9));
  EXPECT_EQ(b.TryAcquireOrRenew().value(), true) << "16 s without a renewal seen by b";
  EXPECT_EQ(Holder(), "b");
  EXPECT_EQ(Transitions(), 1);
  EXPECT_EQ(a.TryAcquireOrRenew().value(), false) << "a must learn it lost";
}

// The wall clock stepped forward (NTP fixing a slow clock): a live lease must not look
// expired, or a second replica would lead while the first still acts.
TEST_F(LeaderElectorTest, WallClockStepDoesNotExpireALiveLease) {
  LeaderElector a(client_, clock_, Config("a"));
  LeaderElector b(client_, clock_, Config("b"));
  EXPECT_EQ(a.TryAcquireOrRenew().value(), true);
  EXPECT_EQ(b.TryAcquireOrRenew().value(), false);
  clock_.Step(std::chrono::hours(2));
  EXPECT_EQ(b.TryAcquireOrRenew().value(), false) << "no time passed: a's lease is live";
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(a.TryAcquireOrRenew().value(), true) << "a renews after the step";
  EXPECT_EQ(b.TryAcquireOrRenew().value(), false) << "b sees the renewal";
  clock_.Step(-std::chrono::minutes(30));
  clock_.Advance(std::chrono::seconds(16));
  EXPECT_EQ(b.TryAcquireOrRenew().value(), true)
      << "a stopped renewing 16 s ago: a step back must not keep its lease alive";
  EXPECT_EQ(Holder(), "b");
}

TEST_F(LeaderElectorTest, ReleaseHandsOverAtOnce) {
  LeaderElector a(client_, clock_, Config("a"));
  LeaderElector b(client_, clock_, Config("b"));
  std::thread runner([&] { a.Run([] {}, [] {}); });
  for (int i = 0; i < 200 && !a.IsLeader(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(a.IsLeader());
  a.Stop();
  runner.join();
  ASSERT_TRUE(a.Release().ok());
  EXPECT_EQ(Holder(), "");
  EXPECT_EQ(b.TryAcquireOrRenew().value(), true) << "no need to wait for expiry";
}

}  // namespace
}  // namespace kcau::controller
