// LOYALTY-CONSERVED: no balance below zero; once settled, the points deducted and not given back
// are exactly the points redeemed on live orders.
#include <fmt/format.h>

#include "core/order/transitions.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "properties/change_tracker.h"
#include "properties/invariant.h"
#include "properties/live_orders.h"

namespace csim::properties {

namespace {

void CheckBalance(const std::string& customer, std::int64_t balance, TimeUs now,
                  std::vector<Violation>& out) {
  if (balance >= 0) return;
  out.push_back({"LOYALTY-CONSERVED", "customer=" + customer, "balance >= 0",
                 fmt::format("{}", balance), now});
}

}  // namespace

void CheckLoyaltyConservedChanged(const sim::World& world, const ChangeTracker&,
                                  const Changes& changes, std::vector<Violation>& out) {
  for (std::string_view customer : changes.customers) {
    const std::string key{customer};
    CheckBalance(key, world.loyalty().Balances().at(key), changes.now, out);
  }
}

void CheckLoyaltyConserved(const Truth& world, bool settled, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  for (const auto& [customer, balance] : world.loyalty().Balances()) {
    CheckBalance(customer, balance, now, out);
  }
  if (!settled) return;
  const auto by_attempt = OrdersByAttempt(world.order_db().Orders());
  for (const auto& [reference, redemption] : world.loyalty().Redemptions()) {
    if (redemption.given_back) continue;
    auto order = by_attempt.find(reference);
    const bool live = order != by_attempt.end() && IsLive(order->second->status);
    const std::int64_t on_order = live ? order->second->points_redeemed : 0;
    if (on_order == redemption.points) continue;
    out.push_back({"LOYALTY-CONSERVED", "redemption=" + reference,
                   fmt::format("points deducted = points on a live order ({})", on_order),
                   fmt::format("{} points deducted", redemption.points), now});
  }
  for (const auto& [attempt, order] : by_attempt) {
    if (!IsLive(order->status) || order->points_redeemed == 0) continue;
    if (world.loyalty().RedeemedActive(attempt) == order->points_redeemed) continue;
    out.push_back({"LOYALTY-CONSERVED", "order=" + order->id,
                   fmt::format("{} points deducted for it", order->points_redeemed),
                   fmt::format("{} deducted", world.loyalty().RedeemedActive(attempt)), now});
  }
}

}  // namespace csim::properties
