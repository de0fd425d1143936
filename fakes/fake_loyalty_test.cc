#include "fakes/fake_loyalty.h"

#include <gtest/gtest.h>

#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

TEST(FakeLoyalty, RedeemGiveBackEarn) {
  FakeLoyalty loyalty;
  loyalty.SetBalance("alice", 1'000);
  EXPECT_EQ(RunSync(loyalty.Balance("alice")).value(), 1'000);
  EXPECT_EQ(RunSync(loyalty.Balance("nobody")).value(), 0);

  EXPECT_TRUE(RunSync(loyalty.Redeem("alice", 400, "ord-1")).ok());
  EXPECT_TRUE(RunSync(loyalty.Redeem("alice", 400, "ord-1")).ok()) << "idempotent";
  EXPECT_EQ(loyalty.BalanceOf("alice"), 600);
  EXPECT_EQ(RunSync(loyalty.Redeem("alice", 601, "ord-2")).code(), Code::kInsufficient);
  EXPECT_EQ(RunSync(loyalty.Redeem("alice", 0, "ord-3")).code(), Code::kInvalidArgument);
  EXPECT_EQ(loyalty.RedeemedActive("ord-1"), 400);

  EXPECT_TRUE(RunSync(loyalty.GiveBack("alice", "ord-1")).ok());
  EXPECT_TRUE(RunSync(loyalty.GiveBack("alice", "ord-1")).ok()) << "given back once";
  EXPECT_TRUE(RunSync(loyalty.GiveBack("alice", "ord-unknown")).ok());
  EXPECT_EQ(RunSync(loyalty.GiveBack("bob", "ord-1")).code(), Code::kInvalidArgument);
  EXPECT_EQ(loyalty.BalanceOf("alice"), 1'000);
  EXPECT_EQ(loyalty.RedeemedActive("ord-1"), 0);
  EXPECT_TRUE(RunSync(loyalty.Redeem("alice", 400, "ord-1")).ok()) << "a late retry";
  EXPECT_EQ(loyalty.BalanceOf("alice"), 1'000) << "deducts nothing again";

  EXPECT_TRUE(RunSync(loyalty.Earn("alice", 10, "earn-ord-1")).ok());
  EXPECT_TRUE(RunSync(loyalty.Earn("alice", 10, "earn-ord-1")).ok());
  EXPECT_EQ(loyalty.BalanceOf("alice"), 1'010);
  EXPECT_EQ(RunSync(loyalty.Earn("alice", -1, "earn-ord-2")).code(), Code::kInvalidArgument);

  EXPECT_EQ(loyalty.TotalRedeemed(), 400);
  EXPECT_EQ(loyalty.TotalGivenBack(), 400);
  EXPECT_EQ(loyalty.TotalEarned(), 10);
}

}  // namespace
}  // namespace csim::fakes
