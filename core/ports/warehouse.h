#pragma once
// Warehouse inventory: reservations with a TTL that lapse by themselves (the warehouse then
// publishes warehouse.inventory.reservation_expired), confirmation that commits stock, release,
// restock.

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/task.h"
#include "core/time.h"

namespace csim {

struct ReserveRequest {
  std::string sku;
  std::string warehouse_id;  // the real service accepts "" (finding EC-08); callers should not
  std::int32_t quantity = 0;
  DurationUs ttl_us = 0;
  std::string reference;  // idempotency key: the same reference returns the same reservation
};

// A reserve whose caller gave up on it (a deadline, a stalled client host) can still take effect
// later, but never more than this after its call began: the client's deadline plus the longest its
// host stalls before the supervisor restarts it. Callers that read "no reservation under this
// reference" from a refused reserve trust it only once every earlier reserve has landed (SIM-29).
inline constexpr DurationUs kReserveLandsWithinUs = 30 * kMinuteUs;

class WarehouseInventory {
 public:
  virtual ~WarehouseInventory() = default;
  // Holds stock for `ttl_us`; returns the reservation id. kInsufficient if not enough available.
  virtual Task<Result<std::string>> ReserveWithTtl(const ReserveRequest& request) = 0;
  // Commits a live reservation to stock (removes its TTL). Ok if already confirmed;
  // kFailedPrecondition if it was released or expired.
  virtual Task<Status> Confirm(const std::string& reservation_id) = 0;
  // Gives an unconfirmed reservation's units back. Ok if already released or expired;
  // kFailedPrecondition if it was confirmed (then restock instead).
  virtual Task<Status> Release(const std::string& reservation_id) = 0;
  // Puts committed units back on hand (cancelled or returned order). Idempotent by `reference`.
  virtual Task<Status> Restock(const std::string& sku, const std::string& warehouse_id,
                               std::int32_t quantity, const std::string& reference) = 0;
  // Units that can still be reserved (cart add-item soft check; reserves nothing).
  virtual Task<Result<std::int32_t>> Available(const std::string& sku) = 0;
};

}  // namespace csim
