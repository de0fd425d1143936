#pragma once
// A workload: the world's starting stock and prices, and what each customer does. Generated from
// a seed (or by rapidcheck in properties/); it never reads the profile, so the same workload runs
// under as-reviewed and fixed.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "sim/rng.h"

namespace csim::sim {

struct StockLine {
  std::string sku;
  std::string warehouse_id;
  std::int32_t on_hand = 0;
  bool operator==(const StockLine&) const = default;
};

struct PriceLine {
  std::string sku;
  Money unit_price = 0;
  bool operator==(const PriceLine&) const = default;
};

struct PromoLine {
  std::string code;
  Money discount = 0;         // fixed discount per use
  std::int64_t max_uses = 0;  // budget in uses; 0 = unlimited
  bool single_use = false;    // a coupon
  bool operator==(const PromoLine&) const = default;
};

struct CustomerScript {
  std::string customer_id;
  bool guest = false;
  TimeUs start_us = 0;
  std::vector<CartItem> items;
  PaymentMethod payment_method = PaymentMethod::kCard;
  DurationUs think_us = 0;            // between preview and confirm (long-tailed: minutes at times)
  std::int32_t confirm_attempts = 1;  // previews and confirms, each after the last one failed
  std::vector<std::string> promo_codes;
  std::int64_t points_balance = 0;  // loyalty points the customer starts with
  std::int64_t points_to_redeem = 0;
  DurationUs cancel_after_us = 0;  // > 0: cancels the order this long after placing it
  // The shipping destination: "" for the configured default country, else a 2-letter code.
  std::string country;
  // Impatience and tabs (issue 8): the first confirm is sent twice at once (a double click).
  bool double_click = false;
  // > 0: a second tab previews beside the first preview and confirms this long after it.
  DurationUs second_tab_think_us = 0;
  // Added to the cart after the first failed confirm, before the customer tries again.
  std::optional<CartItem> change_after_failure;
  // > 0: a customer whose visit ended without an order on a failure that may pass (a page that
  // failed or timed out: an outage) comes back this long after leaving and tries once more.
  DurationUs return_after_us = 0;
  bool operator==(const CustomerScript&) const = default;
};

// Something that changes in the world outside the services while customers shop.
enum class WorldChangeKind {
  kPriceChange,     // subject sku, value the new unit price
  kShippingChange,  // subject a country ("" the default rate), value the new per-item fee
  kPromoExpiry,     // subject promo code
  kSellElsewhere,   // subject sku, detail warehouse, value units sold by another channel
  kDelivery,        // subject sku, detail warehouse, value units a supplier delivers (on hand up)
};

struct WorldChange {
  TimeUs at_us = 0;
  WorldChangeKind kind = WorldChangeKind::kPriceChange;
  std::string subject;
  std::string detail;
  std::int64_t value = 0;
  bool operator==(const WorldChange&) const = default;
};

struct Workload {
  std::vector<StockLine> stock;
  std::vector<PriceLine> prices;
  std::vector<PromoLine> promos;
  std::vector<CustomerScript> customers;
  std::vector<WorldChange> changes;
  bool operator==(const Workload&) const = default;
};

// The default traffic level (WorkloadOptions::arrivals_per_minute_max): a busy shop's peak.
inline constexpr std::int32_t kArrivalsPerMinuteDefault = 120;

struct WorkloadOptions {
  std::int32_t orders = 20;  // customers, each checking out one cart
  std::int32_t skus = 4;
  std::int32_t warehouses = 2;
  DurationUs arrival_window_us = 10 * kMinuteUs;
  // The traffic level: the window stretches so that arrivals average at most this many a minute.
  // Past it a single replica of each service falls behind (a flash sale of 100,000 checkouts in
  // 10 minutes left the order worker 36 minutes late and three orders in four expired), which is
  // a capacity test, not what a sweep of the saga's logic is for.
  std::int32_t arrivals_per_minute_max = kArrivalsPerMinuteDefault;
  std::int32_t promos = 3;
  std::int32_t world_changes = 4;
  // Supplier deliveries (restocks) and shipping-rate changes for one destination country, drawn
  // from their own streams so that adding them moved no earlier draw of a seed.
  std::int32_t deliveries = 2;
  std::int32_t country_rate_changes = 1;
};

inline constexpr std::int32_t kWorkloadCustomersMax = 100'000;
inline constexpr std::int32_t kConfirmAttemptsMax = 5;
// A customer's think time, mostly seconds, sometimes minutes: at most this long.
inline constexpr DurationUs kThinkMaxUs = 20 * kMinuteUs;
// The destinations customers ship to besides the default country (the shop ships abroad too).
inline constexpr std::array<std::string_view, 3> kAbroadCountries{"SG", "TH", "KH"};
// A customer who left on an outage comes back at most this long after leaving.
inline constexpr DurationUs kReturnAfterMaxUs = 2 * kHourUs;
// A supplier delivery carries at most this many units of one sku.
inline constexpr std::int64_t kDeliveryUnitsMax = 1'000;

// How long `options.orders` customers take to arrive: the window, stretched to the traffic level.
DurationUs ArrivalWindowUs(const WorkloadOptions& options);

// A deterministic workload for `seed`: scarce stock on some skus so customers compete for it.
Workload GenerateWorkload(std::uint64_t seed, const WorkloadOptions& options);

// The smallest world a test needs: 5 units of SKU-1 in WH-1 at kOneCustomerPrice, and one
// customer, cust-1, arriving after a second to buy 2 of them after 5 s of thought.
inline constexpr Money kOneCustomerPrice = 100'000 * kVnd;
Workload OneCustomerWorkload();

// Problems that make a workload unusable ("customers[3].items[0].quantity: must be > 0"), or "".
std::string ValidateWorkload(const Workload& workload);

}  // namespace csim::sim
