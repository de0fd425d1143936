// PROMO-NO-BUDGET-LEAK: usage within budget and a coupon used once, always; once settled, the
// recorded usage of each promotion equals the live orders carrying it.
#include <fmt/format.h>

#include <map>

#include "core/order/transitions.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_promotions.h"
#include "properties/change_tracker.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

// The always half for one promotion.
void CheckBudget(const std::string& code, const fakes::Promotion& promo, TimeUs now,
                 std::vector<Violation>& out) {
  const auto used = static_cast<std::int64_t>(promo.usages.size());
  if (promo.max_uses > 0 && used > promo.max_uses) {
    out.push_back({"PROMO-NO-BUDGET-LEAK", "promo=" + code,
                   fmt::format("at most {} uses", promo.max_uses), fmt::format("{} uses", used),
                   now});
  }
  if (promo.single_use && used > 1) {
    out.push_back({"PROMO-NO-BUDGET-LEAK", "promo=" + code, "a coupon used at most once",
                   fmt::format("{} uses", used), now});
  }
}

}  // namespace

void CheckPromoNoBudgetLeak(const Truth& world, bool settled, std::vector<Violation>& out) {
  const TimeUs now = world.now();
  std::map<std::string, std::int64_t> live_orders_with;
  for (const auto& [id, order] : world.order_db().Orders()) {
    if (!IsLive(order.status)) continue;
    for (const std::string& code : order.promo_codes) ++live_orders_with[code];
  }
  for (const auto& [code, promo] : world.promotions().PromotionsByCode()) {
    CheckBudget(code, promo, now, out);
    const auto used = static_cast<std::int64_t>(promo.usages.size());
    if (settled && used != live_orders_with[code]) {
      out.push_back(
          {"PROMO-NO-BUDGET-LEAK", "promo=" + code,
           fmt::format("recorded usage = {} live orders carrying it", live_orders_with[code]),
           fmt::format("recorded usage {}", used), now});
    }
  }
}

void CheckPromoNoBudgetLeakChanged(const sim::World& world, const ChangeTracker&,
                                   const Changes& changes, std::vector<Violation>& out) {
  const auto& promotions = world.promotions().PromotionsByCode();
  for (std::string_view code : changes.promotions) {
    const std::string key{code};
    CheckBudget(key, promotions.at(key), changes.now, out);
  }
}

}  // namespace csim::properties
