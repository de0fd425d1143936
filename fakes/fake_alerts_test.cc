#include "fakes/fake_alerts.h"

#include <gtest/gtest.h>

namespace csim::fakes {
namespace {

TEST(FakeAlerts, KeepsAlertsAndCountsByKind) {
  FakeAlerts alerts;
  alerts.Raise({"outbox.failed", "row-1", "10 retries"});
  alerts.Raise({"compensation.exhausted", "comp-1", "void failed"});
  alerts.Raise({"outbox.failed", "row-2", "10 retries"});
  ASSERT_EQ(alerts.Raised().size(), 3u);
  EXPECT_EQ(alerts.Raised()[1].subject, "comp-1");
  EXPECT_EQ(alerts.Count("outbox.failed"), 2);
  EXPECT_EQ(alerts.Count("nothing"), 0);
  EXPECT_EQ(alerts.CountByKind().size(), 2u);
}

}  // namespace
}  // namespace csim::fakes
