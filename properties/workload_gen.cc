#include "properties/workload_gen.h"

#include <fmt/format.h>

#include <set>

namespace csim::properties {

rc::Gen<sim::Workload> GenWorkload(int customers_max) {
  return rc::gen::exec([customers_max] {
    sim::Workload workload;
    const int skus = *rc::gen::inRange(1, 5);
    const int warehouses = *rc::gen::inRange(1, 3);
    for (int s = 1; s <= skus; ++s) {
      const std::string sku = fmt::format("SKU-{}", s);
      workload.prices.push_back({sku, *rc::gen::inRange<Money>(1, 1000) * 1000 * kVnd});
      for (int w = 1; w <= warehouses; ++w) {
        workload.stock.push_back({sku, fmt::format("WH-{}", w), *rc::gen::inRange(0, 8)});
      }
    }
    const int promos = *rc::gen::inRange(0, 3);
    for (int p = 1; p <= promos; ++p) {
      sim::PromoLine promo;
      promo.code = fmt::format("PROMO-{}", p);
      promo.discount = *rc::gen::inRange<Money>(1, 50) * 1000 * kVnd;
      promo.max_uses = *rc::gen::inRange<std::int64_t>(0, 4);
      promo.single_use = *rc::gen::arbitrary<bool>();
      workload.promos.push_back(std::move(promo));
    }
    const int customers = *rc::gen::inRange(0, customers_max + 1);
    for (int c = 1; c <= customers; ++c) {
      sim::CustomerScript script;
      script.customer_id = fmt::format("cust-{}", c);
      script.guest = *rc::gen::arbitrary<bool>();
      script.start_us = *rc::gen::inRange<TimeUs>(0, 10 * kMinuteUs);
      const int lines = *rc::gen::inRange(1, 4);
      std::set<int> used;
      for (int l = 0; l < lines; ++l) {
        const int s = *rc::gen::inRange(1, skus + 1);
        if (!used.insert(s).second) continue;
        CartItem item;
        item.sku = fmt::format("SKU-{}", s);
        item.quantity = *rc::gen::inRange(1, 4);
        const int w = *rc::gen::inRange(0, warehouses + 1);  // 0: no warehouse id (EC-08)
        if (w > 0) item.warehouse_id = fmt::format("WH-{}", w);
        script.items.push_back(std::move(item));
      }
      script.payment_method = *rc::gen::element(PaymentMethod::kCard, PaymentMethod::kCard,
                                                PaymentMethod::kCashOnDelivery);
      script.think_us = *rc::gen::inRange<DurationUs>(0, 60) * kSecondUs;
      script.confirm_attempts = *rc::gen::inRange(1, 3);
      if (promos > 0 && *rc::gen::arbitrary<bool>()) {
        script.promo_codes.push_back(fmt::format("PROMO-{}", *rc::gen::inRange(1, promos + 1)));
      }
      if (!script.guest && *rc::gen::arbitrary<bool>()) {
        script.points_balance = *rc::gen::inRange<std::int64_t>(0, 20'000);
        script.points_to_redeem = *rc::gen::inRange<std::int64_t>(0, 20'000);
      }
      if (*rc::gen::inRange(0, 5) == 0) {  // shipped abroad
        script.country = std::string{*rc::gen::elementOf(sim::kAbroadCountries)};
      }
      if (*rc::gen::inRange(0, 4) == 0) {
        script.cancel_after_us = *rc::gen::inRange<DurationUs>(1, 180) * kMinuteUs;
      }
      // Impatience and tabs (issue 8): a double click, a second tab, a cart changed after a
      // failed checkout.
      script.double_click = *rc::gen::inRange(0, 4) == 0;
      if (*rc::gen::inRange(0, 4) == 0) {
        script.second_tab_think_us = *rc::gen::inRange<DurationUs>(0, 120) * kSecondUs;
      }
      if (*rc::gen::inRange(0, 4) == 0) {
        script.change_after_failure =
            CartItem{fmt::format("SKU-{}", *rc::gen::inRange(1, skus + 1)), 1,
                     fmt::format("WH-{}", *rc::gen::inRange(1, warehouses + 1))};
      }
      workload.customers.push_back(std::move(script));
    }
    const int changes = *rc::gen::inRange(0, 4);
    for (int c = 0; c < changes; ++c) {
      sim::WorldChange change;
      change.at_us = *rc::gen::inRange<TimeUs>(0, 15 * kMinuteUs);
      const int kind = *rc::gen::inRange(0, promos > 0 ? 5 : 4);
      const std::string sku = fmt::format("SKU-{}", *rc::gen::inRange(1, skus + 1));
      if (kind == 0) {
        change.kind = sim::WorldChangeKind::kPriceChange;
        change.subject = sku;
        change.value = *rc::gen::inRange<Money>(1, 1000) * 1000 * kVnd;
      } else if (kind == 1) {
        change.kind = sim::WorldChangeKind::kShippingChange;
        if (*rc::gen::arbitrary<bool>()) {  // one destination's rate, else the default one
          change.subject = std::string{*rc::gen::elementOf(sim::kAbroadCountries)};
        }
        change.value = *rc::gen::inRange<Money>(1, 10) * 1000 * kVnd;
      } else if (kind == 2) {
        change.kind = sim::WorldChangeKind::kSellElsewhere;
        change.subject = sku;
        change.detail = fmt::format("WH-{}", *rc::gen::inRange(1, warehouses + 1));
        change.value = *rc::gen::inRange(1, 4);
      } else if (kind == 3) {
        change.kind = sim::WorldChangeKind::kDelivery;
        change.subject = sku;
        change.detail = fmt::format("WH-{}", *rc::gen::inRange(1, warehouses + 1));
        change.value = *rc::gen::inRange(1, 6);
      } else {
        change.kind = sim::WorldChangeKind::kPromoExpiry;
        change.subject = fmt::format("PROMO-{}", *rc::gen::inRange(1, promos + 1));
      }
      workload.changes.push_back(std::move(change));
    }
    return workload;
  });
}

}  // namespace csim::properties
