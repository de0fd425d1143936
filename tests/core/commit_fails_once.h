#pragma once
// Test double: the order DB with one Commit that fails before its effect.

#include <string>
#include <vector>

#include "core/ports/order_store.h"

namespace csim::test_ports {

// The order DB with one Commit that fails before its effect, as a lost connection would.
class CommitFailsOnce final : public OrderStore {
 public:
  explicit CommitFailsOnce(OrderStore& inner) : inner_(inner) {}
  void FailNextCommit() { fail_next_ = true; }

  Task<Result<Order>> GetOrder(const std::string& id) override { return inner_.GetOrder(id); }
  Task<Result<Order>> FindBySession(const std::string& s) override {
    return inner_.FindBySession(s);
  }
  Task<Result<std::vector<Order>>> FindOrders(const OrderQuery& q) override {
    return inner_.FindOrders(q);
  }
  Task<Result<bool>> IsProcessed(const std::string& id) override { return inner_.IsProcessed(id); }
  Task<Status> Commit(const OrderWrite& write) override {
    if (fail_next_) {
      fail_next_ = false;
      return Failed();
    }
    return inner_.Commit(write);
  }
  Task<Result<std::vector<OutboxRow>>> DueOutbox(TimeUs now, std::int32_t limit) override {
    return inner_.DueOutbox(now, limit);
  }
  Task<Status> UpdateOutbox(const OutboxRow& row) override { return inner_.UpdateOutbox(row); }
  Task<Result<std::vector<OutboxRow>>> FailedOutbox(std::int32_t limit) override {
    return inner_.FailedOutbox(limit);
  }

 private:
  static Task<Status> Failed() { co_return Status{Code::kUnavailable, "connection lost"}; }
  OrderStore& inner_;
  bool fail_next_ = false;
};

}  // namespace csim::test_ports
