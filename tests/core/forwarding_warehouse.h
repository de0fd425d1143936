#pragma once
// A WarehouseInventory that forwards every call to another (LevelDB's EnvWrapper idea): a test
// derives from it and overrides only the calls it makes fail.

#include <cstdint>
#include <string>

#include "core/ports/warehouse.h"

namespace csim::test_ports {

class ForwardingWarehouse : public WarehouseInventory {
 public:
  explicit ForwardingWarehouse(WarehouseInventory& inner) : inner_(inner) {}
  Task<Result<std::string>> ReserveWithTtl(const ReserveRequest& request) override {
    return inner_.ReserveWithTtl(request);
  }
  Task<Status> Confirm(const std::string& reservation_id) override {
    return inner_.Confirm(reservation_id);
  }
  Task<Status> Release(const std::string& reservation_id) override {
    return inner_.Release(reservation_id);
  }
  Task<Status> Restock(const std::string& sku, const std::string& warehouse_id,
                       std::int32_t quantity, const std::string& reference) override {
    return inner_.Restock(sku, warehouse_id, quantity, reference);
  }
  Task<Result<std::int32_t>> Available(const std::string& sku) override {
    return inner_.Available(sku);
  }

 protected:
  WarehouseInventory& inner() { return inner_; }

 private:
  WarehouseInventory& inner_;
};

}  // namespace csim::test_ports
