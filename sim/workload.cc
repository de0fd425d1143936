#include "sim/workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/config.h"
#include "sim/detail_text.h"

namespace csim::sim {
namespace {

// Think time with a long tail: the seconds already drawn for four customers in five, a few minutes
// for most of the rest, and up to twenty minutes (a customer who left the tab open) for one in
// twenty. Minutes matter: prices, rates and promotions change while the customer looks.
DurationUs LongTailedThink(Rng& behaviour, DurationUs seconds_drawn) {
  const std::uint64_t tail = behaviour.Below(100);
  if (tail < 80) return seconds_drawn;
  if (tail < 95) return behaviour.Between(60, 5 * 60) * kSecondUs;
  return behaviour.Between(5 * 60, kThinkMaxUs / kSecondUs) * kSecondUs;
}

// What a customer does beyond one preview and one confirm (issue 8), drawn from `behaviour`, a
// stream of its own: the draws of the base workload stay what they were before these existed.
void DrawBehaviour(Rng& behaviour, const WorkloadOptions& options, CustomerScript& script) {
  script.think_us = LongTailedThink(behaviour, script.think_us);
  // Customers whose request failed or timed out try again, some of them several times.
  const std::int64_t more = behaviour.Between(0, 3);
  script.confirm_attempts = static_cast<std::int32_t>(
      std::min<std::int64_t>(kConfirmAttemptsMax, script.confirm_attempts + more));
  script.double_click = behaviour.ChancePpm(50'000);
  if (behaviour.ChancePpm(50'000)) {
    script.second_tab_think_us = LongTailedThink(behaviour, behaviour.Between(1, 30) * kSecondUs);
  }
  if (behaviour.ChancePpm(200'000)) {
    // One more of a sku (maybe one already in the cart): the cart's version moves.
    CartItem item;
    item.sku = DetailText("SKU-", behaviour.Between(1, options.skus));
    item.quantity = 1;
    item.warehouse_id = DetailText("WH-", behaviour.Between(1, options.warehouses));
    script.change_after_failure = std::move(item);
  }
  CSIM_CHECK(script.think_us > 0 && script.think_us <= kThinkMaxUs, "think time in range");
  CSIM_CHECK(script.confirm_attempts >= 1 && script.confirm_attempts <= kConfirmAttemptsMax);
}

// "" (the configured default country) or a country code.
bool IsDestination(const std::string& country) {
  return country.empty() || IsCountryCode(country);
}

}  // namespace

DurationUs ArrivalWindowUs(const WorkloadOptions& options) {
  CSIM_CHECK(options.arrival_window_us >= 0 && options.arrivals_per_minute_max > 0);
  const DurationUs at_traffic_level_us =
      options.orders * kMinuteUs / options.arrivals_per_minute_max;
  const DurationUs window_us = std::max(options.arrival_window_us, at_traffic_level_us);
  CSIM_CHECK(options.orders <= options.arrivals_per_minute_max * (window_us / kMinuteUs + 1),
             "arrivals stay within the traffic level");
  return window_us;
}

Workload GenerateWorkload(std::uint64_t seed, const WorkloadOptions& options) {
  CSIM_CHECK(options.orders >= 0 && options.orders <= kWorkloadCustomersMax);
  CSIM_CHECK(options.skus > 0);
  CSIM_CHECK(options.warehouses > 0);
  Rng rng = Rng(seed).Fork(0x574F524B);        // "WORK": the workload's own stream
  Rng behaviour = Rng(seed).Fork(0x42454856);  // "BEHV": the customers' impatience and tabs
  const DurationUs arrival_window_us = ArrivalWindowUs(options);
  Workload workload;
  for (std::int32_t s = 0; s < options.skus; ++s) {
    std::string sku = DetailText("SKU-", s + 1);
    workload.prices.push_back({sku, rng.Between(10, 500) * 1000 * kVnd});
    for (std::int32_t w = 0; w < options.warehouses; ++w) {
      // Roughly one customer in two wants each sku: stock between scarce and plenty.
      auto on_hand = static_cast<std::int32_t>(rng.Between(0, 2 + options.orders / 2));
      workload.stock.push_back({sku, DetailText("WH-", w + 1), on_hand});
    }
  }
  for (std::int32_t p = 0; p < options.promos; ++p) {
    PromoLine promo;
    promo.code = DetailText("PROMO-", p + 1);
    promo.discount = rng.Between(5, 50) * 1000 * kVnd;
    promo.max_uses = rng.Between(0, 1 + options.orders / 4);
    promo.single_use = rng.ChancePpm(250'000);
    workload.promos.push_back(std::move(promo));
  }
  for (std::int32_t c = 0; c < options.orders; ++c) {
    CustomerScript script;
    script.customer_id = DetailText("cust-", c + 1);
    script.guest = rng.ChancePpm(300'000);
    script.start_us = rng.Between(0, arrival_window_us);
    auto lines = rng.Between(1, 3);
    std::set<std::int64_t> used;
    for (std::int64_t l = 0; l < lines; ++l) {
      std::int64_t s = rng.Between(0, options.skus - 1);
      if (!used.insert(s).second) continue;
      CartItem item;
      item.sku = DetailText("SKU-", s + 1);
      item.quantity = static_cast<std::int32_t>(rng.Between(1, 3));
      // One cart line in twenty has no warehouse id (EC-08).
      if (!rng.ChancePpm(50'000)) {
        item.warehouse_id = DetailText("WH-", rng.Between(1, options.warehouses));
      }
      script.items.push_back(std::move(item));
    }
    script.payment_method =
        rng.ChancePpm(150'000) ? PaymentMethod::kCashOnDelivery : PaymentMethod::kCard;
    script.think_us = rng.Between(1, 30) * kSecondUs;
    script.confirm_attempts = static_cast<std::int32_t>(rng.Between(1, 2));
    if (options.promos > 0 && rng.ChancePpm(300'000)) {
      script.promo_codes.push_back(DetailText("PROMO-", rng.Between(1, options.promos)));
    }
    if (!script.guest && rng.ChancePpm(300'000)) {
      script.points_balance = rng.Between(0, 50'000);
      script.points_to_redeem = rng.Between(1, 20'000);
    }
    if (rng.ChancePpm(150'000)) script.cancel_after_us = rng.Between(1, 120) * kMinuteUs;
    DrawBehaviour(behaviour, options, script);
    workload.customers.push_back(std::move(script));
  }
  for (std::int32_t w = 0; w < options.world_changes; ++w) {
    WorldChange change;
    change.at_us = rng.Between(0, arrival_window_us);
    change.kind = static_cast<WorldChangeKind>(rng.Below(4));
    const auto sku = DetailText("SKU-", rng.Between(1, options.skus));
    switch (change.kind) {
      case WorldChangeKind::kPriceChange:
        change.subject = sku;
        change.value = rng.Between(10, 500) * 1000 * kVnd;
        break;
      case WorldChangeKind::kShippingChange:
        change.value = rng.Between(1, 5) * 1000 * kVnd;
        break;
      case WorldChangeKind::kPromoExpiry:
        if (options.promos == 0) continue;
        change.subject = DetailText("PROMO-", rng.Between(1, options.promos));
        break;
      case WorldChangeKind::kSellElsewhere:
        change.subject = sku;
        change.detail = DetailText("WH-", rng.Between(1, options.warehouses));
        change.value = rng.Between(1, 3);
        break;
      case WorldChangeKind::kDelivery:
        CSIM_CHECK(false, "deliveries are drawn below, from their own stream");
        break;
    }
    workload.changes.push_back(std::move(change));
  }
  // Destinations abroad, supplier deliveries and one country's new shipping rate come last, each
  // from a stream of its own: every draw above is the one the seed made before they existed.
  Rng abroad = Rng(seed).Fork(0x41425244);  // "ABRD"
  for (CustomerScript& script : workload.customers) {
    if (!abroad.ChancePpm(100'000)) continue;  // one customer in ten ships abroad
    script.country = std::string{kAbroadCountries.at(abroad.Below(kAbroadCountries.size()))};
  }
  // Half of the customers who leave on an outage come back 5 to 60 minutes later (a shopper
  // whose page kept failing tries again after a while); the other half shop elsewhere.
  Rng returns = Rng(seed).Fork(0x5254524E);  // "RTRN"
  for (CustomerScript& script : workload.customers) {
    if (returns.ChancePpm(500'000)) script.return_after_us = returns.Between(5, 60) * kMinuteUs;
  }
  Rng supply = Rng(seed).Fork(0x53555050);  // "SUPP"
  for (std::int32_t d = 0; d < options.deliveries; ++d) {
    WorldChange change;
    // A supplier's truck comes during the arrivals or in the hour after them.
    change.at_us = supply.Between(0, arrival_window_us + kHourUs);
    change.kind = WorldChangeKind::kDelivery;
    change.subject = DetailText("SKU-", supply.Between(1, options.skus));
    change.detail = DetailText("WH-", supply.Between(1, options.warehouses));
    change.value =
        std::min<std::int64_t>(kDeliveryUnitsMax, supply.Between(1, 2 + options.orders / 4));
    workload.changes.push_back(std::move(change));
  }
  for (std::int32_t r = 0; r < options.country_rate_changes; ++r) {
    WorldChange change;
    change.at_us = supply.Between(0, arrival_window_us);
    change.kind = WorldChangeKind::kShippingChange;
    change.subject = std::string{kAbroadCountries.at(supply.Below(kAbroadCountries.size()))};
    change.value = supply.Between(5, 20) * 1000 * kVnd;  // shipping abroad costs more
    workload.changes.push_back(std::move(change));
  }
  return workload;
}

Workload OneCustomerWorkload() {
  Workload w;
  w.stock.push_back({"SKU-1", "WH-1", 5});
  w.prices.push_back({"SKU-1", kOneCustomerPrice});
  CustomerScript c;
  c.customer_id = "cust-1";
  c.start_us = kSecondUs;
  c.items.push_back(CartItem{"SKU-1", 2, "WH-1"});
  c.think_us = 5 * kSecondUs;
  w.customers.push_back(c);
  CSIM_CHECK(ValidateWorkload(w).empty(), "the one-customer workload is valid");
  return w;
}

std::string ValidateWorkload(const Workload& workload) {
  if (workload.customers.size() > static_cast<std::size_t>(kWorkloadCustomersMax)) {
    return "customers: more than the limit";
  }
  std::set<std::string> priced;
  for (std::size_t i = 0; i < workload.prices.size(); ++i) {
    if (workload.prices[i].unit_price <= 0)
      return fmt::format("prices[{}].unit_price: must be > 0", i);
    priced.insert(workload.prices[i].sku);
  }
  for (std::size_t i = 0; i < workload.stock.size(); ++i) {
    if (workload.stock[i].on_hand < 0) return fmt::format("stock[{}].on_hand: must be >= 0", i);
    if (workload.stock[i].warehouse_id.empty())
      return fmt::format("stock[{}].warehouse_id: empty", i);
  }
  std::set<std::string> codes;
  for (std::size_t i = 0; i < workload.promos.size(); ++i) {
    const PromoLine& promo = workload.promos[i];
    if (promo.code.empty()) return fmt::format("promos[{}].code: empty", i);
    if (!codes.insert(promo.code).second) return fmt::format("promos[{}].code: duplicate", i);
    if (promo.discount <= 0) return fmt::format("promos[{}].discount: must be > 0", i);
    if (promo.max_uses < 0) return fmt::format("promos[{}].max_uses: must be >= 0", i);
  }
  for (std::size_t i = 0; i < workload.changes.size(); ++i) {
    const WorldChange& change = workload.changes[i];
    if (change.at_us < 0) return fmt::format("changes[{}].at_us: must be >= 0", i);
    if (change.kind == WorldChangeKind::kPromoExpiry && !codes.count(change.subject)) {
      return fmt::format("changes[{}].subject: unknown promo {}", i, change.subject);
    }
    if (change.kind == WorldChangeKind::kPriceChange && change.value <= 0) {
      return fmt::format("changes[{}].value: a price must be > 0", i);
    }
    if (change.kind == WorldChangeKind::kShippingChange) {
      if (change.value < 0) return fmt::format("changes[{}].value: a fee must be >= 0", i);
      if (!IsDestination(change.subject)) {
        return fmt::format("changes[{}].subject: \"{}\" is not \"\" or a 2-letter country code", i,
                           change.subject);
      }
    }
    if (change.kind == WorldChangeKind::kDelivery) {
      if (!priced.count(change.subject)) {
        return fmt::format("changes[{}].subject: {} has no price", i, change.subject);
      }
      if (change.detail.empty()) return fmt::format("changes[{}].detail: empty warehouse", i);
      if (change.value <= 0 || change.value > kDeliveryUnitsMax) {
        return fmt::format("changes[{}].value: a delivery carries 1..{} units", i,
                           kDeliveryUnitsMax);
      }
    }
  }
  std::set<std::string> ids;
  for (std::size_t c = 0; c < workload.customers.size(); ++c) {
    const CustomerScript& s = workload.customers[c];
    if (!ids.insert(s.customer_id).second)
      return fmt::format("customers[{}].customer_id: duplicate", c);
    if (s.start_us < 0) return fmt::format("customers[{}].start_us: must be >= 0", c);
    if (s.confirm_attempts < 1 || s.confirm_attempts > kConfirmAttemptsMax) {
      return fmt::format("customers[{}].confirm_attempts: must be 1..{}", c, kConfirmAttemptsMax);
    }
    if (s.think_us < 0 || s.think_us > kThinkMaxUs) {
      return fmt::format("customers[{}].think_us: must be 0..{} us", c, kThinkMaxUs);
    }
    if (s.return_after_us < 0 || s.return_after_us > kReturnAfterMaxUs) {
      return fmt::format("customers[{}].return_after_us: must be 0..{} us", c, kReturnAfterMaxUs);
    }
    if (s.second_tab_think_us < 0 || s.second_tab_think_us > kThinkMaxUs) {
      return fmt::format("customers[{}].second_tab_think_us: must be 0..{} us", c, kThinkMaxUs);
    }
    if (s.change_after_failure) {
      if (s.change_after_failure->quantity <= 0)
        return fmt::format("customers[{}].change_after_failure.quantity: must be > 0", c);
      if (!priced.count(s.change_after_failure->sku)) {
        return fmt::format("customers[{}].change_after_failure.sku: {} has no price", c,
                           s.change_after_failure->sku);
      }
    }
    if (s.points_balance < 0 || s.points_to_redeem < 0) {
      return fmt::format("customers[{}]: points must be >= 0", c);
    }
    if (s.cancel_after_us < 0) return fmt::format("customers[{}].cancel_after_us: must be >= 0", c);
    if (!IsDestination(s.country)) {
      return fmt::format("customers[{}].country: \"{}\" is not \"\" or a 2-letter country code", c,
                         s.country);
    }
    for (std::size_t i = 0; i < s.promo_codes.size(); ++i) {
      if (!codes.count(s.promo_codes[i])) {
        return fmt::format("customers[{}].promo_codes[{}]: unknown promo {}", c, i,
                           s.promo_codes[i]);
      }
    }
    for (std::size_t i = 0; i < s.items.size(); ++i) {
      if (s.items[i].quantity <= 0)
        return fmt::format("customers[{}].items[{}].quantity: must be > 0", c, i);
      if (!priced.count(s.items[i].sku)) {
        return fmt::format("customers[{}].items[{}].sku: {} has no price", c, i, s.items[i].sku);
      }
    }
  }
  return "";
}

}  // namespace csim::sim
