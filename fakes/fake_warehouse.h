#pragma once
// FakeWarehouse: stock per (sku, warehouse) and reservations with a TTL.
//
// A real warehouse keeps committed + actively reserved <= on hand; this fake CSIM_CHECKs that
// bookkeeping on every row no phantom commit touched. The empty warehouse id "" models the risky
// real behaviour of finding EC-08: a reservation against "" is always accepted without looking at
// stock (a phantom pool), and its Confirm commits the units to the sku's default warehouse without
// an availability check, so committed can exceed on hand there. That oversell is the figure the
// invariants NO-OVERSELL and NO-PHANTOM-WAREHOUSE must see, so it is recorded, never asserted away.
//
// A reservation's TTL lapses by itself at expires_at: from then on it holds no stock and cannot be
// confirmed, but its status stays kActive until the simulator sweeps it with TakeExpired (and
// publishes warehouse.inventory.reservation_expired for each one swept).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ports/clock.h"
#include "core/ports/warehouse.h"
#include "fakes/change_journal.h"
#include "fakes/flat_string_map.h"

namespace csim::fakes {

enum class ReservationStatus { kActive, kConfirmed, kReleased, kExpired };
std::string_view Name(ReservationStatus status);

struct Reservation {
  std::string id;  // "res-1", "res-2", ...
  std::string reference;
  std::string sku;
  std::string warehouse_id;  // "" for a phantom reservation (EC-08)
  std::int32_t quantity = 0;
  TimeUs created_at = 0;
  TimeUs expires_at = 0;
  ReservationStatus status = ReservationStatus::kActive;
  // The row Confirm committed the units to: the reservation's own warehouse, or for a phantom one
  // the sku's default warehouse ("" if the sku had none: a row with nothing on hand).
  std::optional<std::string> committed_warehouse_id;
  bool operator==(const Reservation&) const = default;
};

struct StockRow {
  std::int64_t on_hand = 0;
  std::int64_t committed = 0;
  std::int64_t phantom_committed = 0;  // units committed here by confirming "" reservations
  std::int64_t restocked = 0;          // units Restock gave back (committed decreased by)
  std::int64_t sold_elsewhere = 0;     // units SellElsewhere committed
  bool operator==(const StockRow&) const = default;
};

// One (sku, warehouse) as the invariants see it at a given time.
struct StockView {
  std::string sku;
  std::string warehouse_id;
  std::int64_t on_hand = 0;
  std::int64_t committed = 0;
  std::int64_t active_reserved = 0;  // active reservations with now < expires_at
  std::int64_t phantom_committed = 0;
  bool operator==(const StockView&) const = default;
};

struct RestockRecord {
  std::string sku;
  std::string warehouse_id;          // as asked ("" for a phantom order line)
  std::string applied_warehouse_id;  // the row whose committed units went back
  std::int32_t quantity = 0;
  bool operator==(const RestockRecord&) const = default;
};

class FakeWarehouse final : public WarehouseInventory {
 public:
  using StockKey = std::pair<std::string, std::string>;  // (sku, warehouse_id)

  static constexpr std::size_t kReservationsMax = 1'000'000;
  static constexpr std::size_t kRestocksMax = 1'000'000;
  static constexpr std::size_t kStockRowsMax = 1'000'000;
  static constexpr std::int64_t kOnHandMax = 1'000'000'000;
  static constexpr DurationUs kTtlMaxUs = 365 * kDayUs;

  explicit FakeWarehouse(const Clock& clock) : clock_(clock) {}

  // kInvalidArgument for quantity <= 0, ttl_us <= 0, an empty sku or reference; kNotFound for an
  // unknown non-empty warehouse; kInsufficient if available < quantity. The same reference
  // returns the reservation already made for it, whatever its status. Warehouse "" always succeeds.
  Task<Result<std::string>> ReserveWithTtl(const ReserveRequest& request) override;
  // kNotFound for an unknown id; Ok if already confirmed; kFailedPrecondition if released,
  // expired or lapsed.
  Task<Status> Confirm(const std::string& reservation_id) override;
  // kNotFound for an unknown id; Ok if released, expired or lapsed; kFailedPrecondition if
  // confirmed.
  Task<Status> Release(const std::string& reservation_id) override;
  // Decreases committed by `quantity`. Idempotent by reference. Warehouse "" restocks the sku's
  // default warehouse (mirror of a phantom Confirm). kNotFound for an unknown row;
  // kFailedPrecondition if quantity > committed.
  Task<Status> Restock(const std::string& sku, const std::string& warehouse_id,
                       std::int32_t quantity, const std::string& reference) override;
  // Sum over real warehouses of max(0, on hand - committed - active reserved).
  Task<Result<std::int32_t>> Available(const std::string& sku) override;

  // ---- World controls ----
  // Sets on hand of (sku, warehouse_id), creating the row (and the warehouse). REQUIRES: a
  // non-empty warehouse id; on_hand >= committed + active reserved unless a phantom commit
  // already oversold the row (the world cannot take units already promised; SellElsewhere can).
  void SetStock(const std::string& sku, const std::string& warehouse_id, std::int64_t on_hand);
  // A supplier's delivery: on hand of (sku, warehouse_id) grows by `units` (> 0), creating the row.
  void ReceiveDelivery(const std::string& sku, const std::string& warehouse_id, std::int64_t units);
  // Another channel sells up to `quantity` available units: returns how many it committed.
  std::int32_t SellElsewhere(const std::string& sku, const std::string& warehouse_id,
                             std::int32_t quantity);
  // Marks every active reservation with expires_at <= now as expired and returns them in
  // (expires_at, creation) order, so the simulator publishes reservation_expired for each.
  std::vector<Reservation> TakeExpired(TimeUs now);

  // ---- Truth ----
  const std::map<StockKey, StockRow>& StockRows() const { return stock_; }
  const std::vector<Reservation>& Reservations() const { return reservations_; }  // by creation
  const std::map<std::string, RestockRecord>& Restocks() const { return restocks_; }
  const std::set<std::string>& Warehouses() const { return warehouses_; }
  // The key (in StockRows()) of every stock row changed: on hand, committed or restocked.
  const ChangeJournal<const StockKey*>& StockChanges() const { return stock_changes_; }
  // The index in Reservations() of every reservation made or whose status changed. (A lapse is
  // no change: it only lowers what is reserved.)
  const ChangeJournal<std::size_t>& ReservationChanges() const { return reservation_changes_; }
  const Reservation* FindReservation(const std::string& reservation_id) const;
  // The reservation made under `reference`, or nullptr if none was.
  const Reservation* FindReservationByReference(const std::string& reference) const;
  // Whether `reservation` holds stock at `now` (active and now < expires_at).
  static bool HoldsStock(const Reservation& reservation, TimeUs now);
  std::int64_t ActiveReserved(const std::string& sku, const std::string& warehouse_id,
                              TimeUs now) const;
  // Every (sku, warehouse) with a stock row or an active reservation (phantom ones appear under
  // warehouse ""), by key.
  std::vector<StockView> StockViews(TimeUs now) const;
  // The warehouse a "" reservation of `sku` commits to: the first in std::map order with a row.
  std::optional<std::string> DefaultWarehouse(const std::string& sku) const;

 private:
  Result<std::string> ReserveNow(const ReserveRequest& request);
  Status ConfirmNow(const std::string& reservation_id);
  Status ReleaseNow(const std::string& reservation_id);
  Status RestockNow(const std::string& sku, const std::string& warehouse_id, std::int32_t quantity,
                    const std::string& reference);
  Result<std::int32_t> AvailableNow(const std::string& sku) const;

  std::optional<std::size_t> IndexOf(const std::string& reservation_id) const;
  // Where units of a "" reservation or restock of `sku` go: the default warehouse, else "".
  std::string PhantomTarget(const std::string& sku) const;
  // on hand - committed - active reserved of one row (negative when oversold).
  std::int64_t AvailableAt(const StockKey& key, TimeUs now) const;
  std::string AddReservation(const ReserveRequest& request, TimeUs now);
  void Deactivate(std::size_t index, ReservationStatus status);
  StockRow& RowForUpdate(const StockKey& key);
  // The real-warehouse bookkeeping: committed + active reserved <= on hand on every real row no
  // phantom commit touched.
  void CheckRow(const StockKey& key, TimeUs now) const;

  const Clock& clock_;
  std::map<StockKey, StockRow> stock_;
  ChangeJournal<const StockKey*> stock_changes_;
  ChangeJournal<std::size_t> reservation_changes_;
  std::set<std::string> warehouses_;
  std::vector<Reservation> reservations_;  // index = number - 1
  // Looked up only, never iterated: hash maps (a search of a big std::map misses the cache at each
  // level of its tree).
  FlatStringMap<std::size_t> by_id_;                           // id -> index
  FlatStringMap<std::size_t> by_reference_;                    // reference -> index
  std::set<std::pair<TimeUs, std::size_t>> active_by_expiry_;  // status kActive only
  std::map<StockKey, std::set<std::size_t>> active_by_row_;    // status kActive only
  // Units of the status kActive reservations per row, lapsed or not: ActiveReserved subtracts the
  // few lapsed ones (the front of active_by_expiry_) instead of summing the row's every one.
  std::map<StockKey, std::int64_t> active_units_by_row_;
  std::map<std::string, RestockRecord> restocks_;  // by reference
};

}  // namespace csim::fakes
