#pragma once
// Test double: the order DB whose next Commit fails before its effect, or lets a concurrent
// writer in first.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/ports/order_store.h"

namespace csim::test_ports {

class ScriptedOrderStore final : public OrderStore {
 public:
  explicit ScriptedOrderStore(OrderStore& inner) : inner_(inner) {}
  // The next Commit fails before its effect, as a lost connection would.
  void FailNextCommit() { fail_next_ = true; }
  // `writer` runs just before the next Commit reaches the store: a concurrent writer that won.
  void BeforeNextCommit(std::function<void()> writer) { before_next_ = std::move(writer); }

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
    if (before_next_) std::exchange(before_next_, nullptr)();
    return inner_.Commit(write);
  }
  Task<Result<std::vector<OutboxRow>>> DueOutbox(TimeUs now, std::int32_t limit) override {
    return inner_.DueOutbox(now, limit);
  }
  Task<Status> UpdateOutbox(const OutboxRow& row) override { return inner_.UpdateOutbox(row); }
  Task<Result<std::vector<OutboxRow>>> FailedOutbox(std::int32_t limit) override {
    return inner_.FailedOutbox(limit);
  }
  Task<Result<std::vector<OutboxRow>>> DueRedrives(TimeUs now, std::int32_t limit) override {
    return inner_.DueRedrives(now, limit);
  }
  Task<Result<std::vector<OutboxRow>>> PendingOutbox(TimeUs written_by,
                                                     std::int32_t limit) override {
    return inner_.PendingOutbox(written_by, limit);
  }

 private:
  static Task<Status> Failed() { co_return Status{Code::kUnavailable, "connection lost"}; }
  OrderStore& inner_;
  bool fail_next_ = false;
  std::function<void()> before_next_;
};

}  // namespace csim::test_ports
