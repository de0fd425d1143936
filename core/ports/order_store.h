#pragma once
// The order service's database: orders with their items, its outbox and the processed-event table
// consumers deduplicate with. Every write goes through Commit, one all-or-nothing transaction.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/ports/outbox.h"

namespace csim {

struct OrderWrite {
  std::optional<Order> insert;     // kConflict if its id or cart_session_id exists
  std::optional<Order> update;     // its version must be the stored version + 1
  std::vector<Event> outbox;       // appended as pending rows
  std::string processed_event_id;  // non-empty: recorded; kConflict if already recorded
};

struct OrderQuery {
  std::vector<OrderStatus> statuses;     // any of these
  std::optional<TimeUs> expiry_before;   // only orders with expiry_at < this (set)
  std::optional<TimeUs> created_before;  // only orders created before this
  std::int32_t limit = 0;
  // Only orders whose money is not settled: captured > refunded, or never captured with an
  // authorization whose hold is not recorded voided.
  bool payment_unsettled = false;
  // Only cancelled-at-some-time orders whose stock is not recorded released.
  bool stock_unreleased = false;
};

class OrderStore : public OutboxTable {
 public:
  // The order, or kNotFound.
  virtual Task<Result<Order>> GetOrder(const std::string& order_id) = 0;
  // The order created from `cart_session_id`, or kNotFound.
  virtual Task<Result<Order>> FindBySession(const std::string& cart_session_id) = 0;
  // Up to query.limit orders matching the query, by id.
  virtual Task<Result<std::vector<Order>>> FindOrders(const OrderQuery& query) = 0;
  // Whether a consumer already recorded `event_id`.
  virtual Task<Result<bool>> IsProcessed(const std::string& event_id) = 0;
  // One transaction; nothing is written on any error.
  virtual Task<Status> Commit(const OrderWrite& write) = 0;
};

}  // namespace csim
