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
      workload.customers.push_back(std::move(script));
    }
    return workload;
  });
}

}  // namespace csim::properties
