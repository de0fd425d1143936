#pragma once
// A workload: the world's starting stock and prices, and what each customer does. Generated from
// a seed (or by rapidcheck in properties/); it never reads the profile, so the same workload runs
// under as-reviewed and fixed.

#include <cstdint>
#include <optional>
#include <string>
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

struct CustomerScript {
  std::string customer_id;
  bool guest = false;
  TimeUs start_us = 0;
  std::vector<CartItem> items;
  PaymentMethod payment_method = PaymentMethod::kCard;
  DurationUs think_us = 0;            // between preview and confirm
  std::int32_t confirm_attempts = 1;  // a customer who gets an error may try again
  bool operator==(const CustomerScript&) const = default;
};

struct Workload {
  std::vector<StockLine> stock;
  std::vector<PriceLine> prices;
  std::vector<CustomerScript> customers;
  bool operator==(const Workload&) const = default;
};

struct WorkloadOptions {
  std::int32_t orders = 20;  // customers, each checking out one cart
  std::int32_t skus = 4;
  std::int32_t warehouses = 2;
  DurationUs arrival_window_us = 10 * kMinuteUs;
};

inline constexpr std::int32_t kWorkloadCustomersMax = 100'000;

// A deterministic workload for `seed`: scarce stock on some skus so customers compete for it.
Workload GenerateWorkload(std::uint64_t seed, const WorkloadOptions& options);

// Problems that make a workload unusable ("customers[3].items[0].quantity: must be > 0"), or "".
std::string ValidateWorkload(const Workload& workload);

}  // namespace csim::sim
