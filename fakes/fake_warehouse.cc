#include "fakes/fake_warehouse.h"

#include <algorithm>
#include <limits>

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {

std::string_view Name(ReservationStatus status) {
  switch (status) {
    case ReservationStatus::kActive:
      return "active";
    case ReservationStatus::kConfirmed:
      return "confirmed";
    case ReservationStatus::kReleased:
      return "released";
    case ReservationStatus::kExpired:
      return "expired";
  }
  return "?";
}

// ---- Port ----

Task<Result<std::string>> FakeWarehouse::ReserveWithTtl(const ReserveRequest& request) {
  return Deferred<Result<std::string>>([this, request] { return ReserveNow(request); });
}

Task<Status> FakeWarehouse::Confirm(const std::string& reservation_id) {
  return Deferred<Status>([this, reservation_id] { return ConfirmNow(reservation_id); });
}

Task<Status> FakeWarehouse::Release(const std::string& reservation_id) {
  return Deferred<Status>([this, reservation_id] { return ReleaseNow(reservation_id); });
}

Task<Status> FakeWarehouse::Restock(const std::string& sku, const std::string& warehouse_id,
                                    std::int32_t quantity, const std::string& reference) {
  return Deferred<Status>([this, sku, warehouse_id, quantity, reference] {
    return RestockNow(sku, warehouse_id, quantity, reference);
  });
}

Task<Result<std::int32_t>> FakeWarehouse::Available(const std::string& sku) {
  return Deferred<Result<std::int32_t>>([this, sku] { return AvailableNow(sku); });
}

Result<std::string> FakeWarehouse::ReserveNow(const ReserveRequest& request) {
  if (request.quantity <= 0) return Status{Code::kInvalidArgument, "quantity must be positive"};
  if (request.ttl_us <= 0) return Status{Code::kInvalidArgument, "ttl must be positive"};
  if (request.ttl_us > kTtlMaxUs) return Status{Code::kInvalidArgument, "ttl too long"};
  if (request.sku.empty()) return Status{Code::kInvalidArgument, "empty sku"};
  if (request.reference.empty()) return Status{Code::kInvalidArgument, "empty reference"};
  if (const std::size_t* found = by_reference_.Find(request.reference); found != nullptr) {
    return reservations_[*found].id;  // a retry: the same reservation, whatever its status
  }
  const TimeUs now = clock_.Now();
  const StockKey key{request.sku, request.warehouse_id};
  // EC-08: "" is a phantom pool that accepts every reservation without looking at stock.
  if (!request.warehouse_id.empty()) {
    if (!warehouses_.contains(request.warehouse_id)) {
      return Status{Code::kNotFound, "unknown warehouse " + request.warehouse_id};
    }
    if (AvailableAt(key, now) < request.quantity) {
      return Status{Code::kInsufficient,
                    "not enough stock of " + request.sku + " in " + request.warehouse_id};
    }
  }
  std::string id = AddReservation(request, now);
  CheckRow(key, now);
  return id;
}

Status FakeWarehouse::ConfirmNow(const std::string& reservation_id) {
  std::optional<std::size_t> index = IndexOf(reservation_id);
  if (!index) return Status{Code::kNotFound, "unknown reservation " + reservation_id};
  Reservation& reservation = reservations_[*index];
  switch (reservation.status) {
    case ReservationStatus::kConfirmed:
      return Status::Ok();
    case ReservationStatus::kReleased:
      return Status{Code::kFailedPrecondition, "reservation released"};
    case ReservationStatus::kExpired:
      return Status{Code::kFailedPrecondition, "reservation expired"};
    case ReservationStatus::kActive:
      break;
  }
  const TimeUs now = clock_.Now();
  if (!HoldsStock(reservation, now)) {
    return Status{Code::kFailedPrecondition, "reservation TTL lapsed"};
  }
  const bool phantom = reservation.warehouse_id.empty();
  const StockKey target{reservation.sku,
                        phantom ? PhantomTarget(reservation.sku) : reservation.warehouse_id};
  Deactivate(*index, ReservationStatus::kConfirmed);
  StockRow& row = RowForUpdate(target);
  row.committed += reservation.quantity;
  if (phantom) row.phantom_committed += reservation.quantity;  // no availability check: EC-08
  reservation.committed_warehouse_id = target.second;
  CheckRow(target, now);
  return Status::Ok();
}

Status FakeWarehouse::ReleaseNow(const std::string& reservation_id) {
  std::optional<std::size_t> index = IndexOf(reservation_id);
  if (!index) return Status{Code::kNotFound, "unknown reservation " + reservation_id};
  const Reservation& reservation = reservations_[*index];
  switch (reservation.status) {
    case ReservationStatus::kConfirmed:
      return Status{Code::kFailedPrecondition, "reservation confirmed: restock instead"};
    case ReservationStatus::kReleased:
    case ReservationStatus::kExpired:
      return Status::Ok();
    case ReservationStatus::kActive:
      break;
  }
  // A lapsed reservation already holds nothing; it stays active until TakeExpired sweeps it, so
  // its reservation_expired event is still published, as the real warehouse's sweeper would.
  if (!HoldsStock(reservation, clock_.Now())) return Status::Ok();
  const StockKey key{reservation.sku, reservation.warehouse_id};
  Deactivate(*index, ReservationStatus::kReleased);
  CheckRow(key, clock_.Now());
  return Status::Ok();
}

Status FakeWarehouse::RestockNow(const std::string& sku, const std::string& warehouse_id,
                                 std::int32_t quantity, const std::string& reference) {
  if (quantity <= 0) return Status{Code::kInvalidArgument, "quantity must be positive"};
  if (sku.empty()) return Status{Code::kInvalidArgument, "empty sku"};
  if (reference.empty()) return Status{Code::kInvalidArgument, "empty reference"};
  if (restocks_.contains(reference)) return Status::Ok();
  // A phantom order line ("" warehouse) gives its units back where its Confirm committed them.
  const StockKey key{sku, warehouse_id.empty() ? PhantomTarget(sku) : warehouse_id};
  auto it = stock_.find(key);
  if (it == stock_.end()) {
    return Status{Code::kNotFound, "no stock row for " + sku + " in '" + warehouse_id + "'"};
  }
  StockRow& row = it->second;
  if (row.committed < quantity) {
    return Status{Code::kFailedPrecondition, "restock of more units than committed"};
  }
  CSIM_CHECK(restocks_.size() < kRestocksMax, "kRestocksMax");
  stock_changes_.Note(&it->first);
  row.committed -= quantity;
  row.restocked += quantity;
  restocks_[reference] = RestockRecord{sku, warehouse_id, key.second, quantity};
  CheckRow(key, clock_.Now());
  return Status::Ok();
}

Result<std::int32_t> FakeWarehouse::AvailableNow(const std::string& sku) const {
  const TimeUs now = clock_.Now();
  std::int64_t available = 0;
  for (auto it = stock_.lower_bound({sku, ""}); it != stock_.end() && it->first.first == sku;
       ++it) {
    if (it->first.second.empty()) continue;  // the phantom pool sells nothing real
    available += std::max<std::int64_t>(0, AvailableAt(it->first, now));
  }
  CSIM_CHECK(available >= 0);
  // The port counts in int32; a soft check loses nothing by saturating.
  return static_cast<std::int32_t>(
      std::min<std::int64_t>(available, std::numeric_limits<std::int32_t>::max()));
}

// ---- World controls ----

void FakeWarehouse::SetStock(const std::string& sku, const std::string& warehouse_id,
                             std::int64_t on_hand) {
  CSIM_CHECK(!sku.empty(), "stock needs a sku");
  CSIM_CHECK(!warehouse_id.empty(), "the phantom pool '' holds no stock");
  CSIM_CHECK(on_hand >= 0);
  CSIM_CHECK(on_hand <= kOnHandMax, "kOnHandMax");
  const StockKey key{sku, warehouse_id};
  StockRow& row = RowForUpdate(key);
  if (row.phantom_committed == 0) {
    CSIM_CHECK(on_hand >= row.committed + ActiveReserved(sku, warehouse_id, clock_.Now()),
               "SetStock below promised units: use SellElsewhere");
  }
  row.on_hand = on_hand;
  warehouses_.insert(warehouse_id);
  CheckRow(key, clock_.Now());
}

void FakeWarehouse::ReceiveDelivery(const std::string& sku, const std::string& warehouse_id,
                                    std::int64_t units) {
  CSIM_CHECK(!sku.empty(), "stock needs a sku");
  CSIM_CHECK(!warehouse_id.empty(), "the phantom pool '' holds no stock");
  CSIM_CHECK(units > 0, "a delivery brings units");
  const StockKey key{sku, warehouse_id};
  StockRow& row = RowForUpdate(key);
  CSIM_CHECK(row.on_hand <= kOnHandMax - units, "kOnHandMax");
  row.on_hand += units;
  warehouses_.insert(warehouse_id);
  CheckRow(key, clock_.Now());
}

std::int32_t FakeWarehouse::SellElsewhere(const std::string& sku, const std::string& warehouse_id,
                                          std::int32_t quantity) {
  CSIM_CHECK(quantity >= 0);
  const StockKey key{sku, warehouse_id};
  auto it = stock_.find(key);
  CSIM_CHECK(it != stock_.end(), "SellElsewhere of an unknown stock row");
  CSIM_CHECK(!warehouse_id.empty());
  const TimeUs now = clock_.Now();
  const std::int64_t available = std::max<std::int64_t>(0, AvailableAt(key, now));
  const std::int32_t sold = static_cast<std::int32_t>(std::min<std::int64_t>(quantity, available));
  stock_changes_.Note(&it->first);
  it->second.committed += sold;
  it->second.sold_elsewhere += sold;
  CSIM_CHECK(sold >= 0);
  CSIM_CHECK(sold <= quantity);
  CheckRow(key, now);
  return sold;
}

std::vector<Reservation> FakeWarehouse::TakeExpired(TimeUs now) {
  std::vector<Reservation> expired;
  // Bounded: each pass removes one entry of active_by_expiry_.
  while (!active_by_expiry_.empty() && active_by_expiry_.begin()->first <= now) {
    const std::size_t index = active_by_expiry_.begin()->second;
    Deactivate(index, ReservationStatus::kExpired);
    expired.push_back(reservations_[index]);
  }
  CSIM_CHECK(expired.size() <= reservations_.size());
  return expired;
}

// ---- Truth ----

const Reservation* FakeWarehouse::FindReservation(const std::string& reservation_id) const {
  std::optional<std::size_t> index = IndexOf(reservation_id);
  return index ? &reservations_[*index] : nullptr;
}

const Reservation* FakeWarehouse::FindReservationByReference(const std::string& reference) const {
  const std::size_t* index = by_reference_.Find(reference);
  return index == nullptr ? nullptr : &reservations_[*index];
}

bool FakeWarehouse::HoldsStock(const Reservation& reservation, TimeUs now) {
  return reservation.status == ReservationStatus::kActive && now < reservation.expires_at;
}

std::int64_t FakeWarehouse::ActiveReserved(const std::string& sku, const std::string& warehouse_id,
                                           TimeUs now) const {
  auto it = active_units_by_row_.find({sku, warehouse_id});
  if (it == active_units_by_row_.end()) return 0;
  std::int64_t reserved = it->second;
  // Lapsed ones stay active until swept (each minute) or released: few, at the expiry index's
  // front. Bounded by that index's size.
  for (auto lapsed = active_by_expiry_.begin();
       lapsed != active_by_expiry_.end() && lapsed->first <= now; ++lapsed) {
    const Reservation& reservation = reservations_[lapsed->second];
    CSIM_CHECK(reservation.status == ReservationStatus::kActive);
    if (reservation.sku == sku && reservation.warehouse_id == warehouse_id) {
      reserved -= reservation.quantity;
    }
  }
  CSIM_CHECK(reserved >= 0, "reserved units never below zero");
  return reserved;
}

std::vector<StockView> FakeWarehouse::StockViews(TimeUs now) const {
  std::map<StockKey, StockView> views;
  for (const auto& [key, row] : stock_) {
    views[key] =
        StockView{key.first, key.second, row.on_hand, row.committed, 0, row.phantom_committed};
  }
  for (const auto& [key, indices] : active_by_row_) {
    const std::int64_t reserved = ActiveReserved(key.first, key.second, now);
    if (reserved == 0) continue;
    StockView& view = views[key];
    view.sku = key.first;
    view.warehouse_id = key.second;
    view.active_reserved = reserved;
  }
  std::vector<StockView> out;
  out.reserve(views.size());
  for (auto& [key, view] : views) out.push_back(std::move(view));
  return out;
}

std::optional<std::string> FakeWarehouse::DefaultWarehouse(const std::string& sku) const {
  for (auto it = stock_.lower_bound({sku, ""}); it != stock_.end() && it->first.first == sku;
       ++it) {
    if (!it->first.second.empty()) return it->first.second;
  }
  return std::nullopt;
}

// ---- Bookkeeping ----

std::optional<std::size_t> FakeWarehouse::IndexOf(const std::string& reservation_id) const {
  const std::size_t* index = by_id_.Find(reservation_id);
  if (index == nullptr) return std::nullopt;
  CSIM_CHECK(*index < reservations_.size());
  return *index;
}

std::string FakeWarehouse::PhantomTarget(const std::string& sku) const {
  return DefaultWarehouse(sku).value_or("");
}

std::int64_t FakeWarehouse::AvailableAt(const StockKey& key, TimeUs now) const {
  auto it = stock_.find(key);
  const std::int64_t on_hand = it == stock_.end() ? 0 : it->second.on_hand;
  const std::int64_t committed = it == stock_.end() ? 0 : it->second.committed;
  return on_hand - committed - ActiveReserved(key.first, key.second, now);
}

std::string FakeWarehouse::AddReservation(const ReserveRequest& request, TimeUs now) {
  CSIM_CHECK(reservations_.size() < kReservationsMax, "kReservationsMax");
  const std::size_t index = reservations_.size();
  Reservation reservation;
  reservation.id = "res-" + std::to_string(index + 1);
  reservation.reference = request.reference;
  reservation.sku = request.sku;
  reservation.warehouse_id = request.warehouse_id;
  reservation.quantity = request.quantity;
  reservation.created_at = now;
  reservation.expires_at = now + request.ttl_us;
  CSIM_CHECK(!by_id_.contains(reservation.id));
  by_id_[reservation.id] = index;
  by_reference_[reservation.reference] = index;
  active_by_expiry_.insert({reservation.expires_at, index});
  active_by_row_[{reservation.sku, reservation.warehouse_id}].insert(index);
  active_units_by_row_[{reservation.sku, reservation.warehouse_id}] += reservation.quantity;
  reservations_.push_back(std::move(reservation));
  reservation_changes_.Note(index);
  return reservations_.back().id;
}

void FakeWarehouse::Deactivate(std::size_t index, ReservationStatus status) {
  Reservation& reservation = reservations_[index];
  CSIM_CHECK(reservation.status == ReservationStatus::kActive, "only active ones change");
  CSIM_CHECK(status != ReservationStatus::kActive);
  const std::size_t erased_by_expiry = active_by_expiry_.erase({reservation.expires_at, index});
  CSIM_CHECK(erased_by_expiry == 1, "active reservation missing from the expiry index");
  auto row = active_by_row_.find({reservation.sku, reservation.warehouse_id});
  CSIM_CHECK(row != active_by_row_.end(), "active reservation missing from the row index");
  row->second.erase(index);
  if (row->second.empty()) active_by_row_.erase(row);
  auto units = active_units_by_row_.find({reservation.sku, reservation.warehouse_id});
  CSIM_CHECK(units != active_units_by_row_.end() && units->second >= reservation.quantity,
             "active units counted per row");
  units->second -= reservation.quantity;
  if (units->second == 0) active_units_by_row_.erase(units);
  reservation.status = status;
  reservation_changes_.Note(index);
}

StockRow& FakeWarehouse::RowForUpdate(const StockKey& key) {
  auto [it, inserted] = stock_.try_emplace(key);
  CSIM_CHECK(stock_.size() <= kStockRowsMax, "kStockRowsMax");
  stock_changes_.Note(&it->first);  // every caller changes it
  return it->second;
}

void FakeWarehouse::CheckRow(const StockKey& key, TimeUs now) const {
  if (key.second.empty()) return;  // the phantom pool has no stock to keep
  auto it = stock_.find(key);
  const std::int64_t reserved = ActiveReserved(key.first, key.second, now);
  if (it == stock_.end()) {
    CSIM_CHECK(reserved == 0, "reserved units in a warehouse that never stocked the sku");
    return;
  }
  const StockRow& row = it->second;
  CSIM_CHECK(row.committed >= 0, "committed below zero");
  CSIM_CHECK(row.on_hand >= 0, "on hand below zero");
  if (row.phantom_committed > 0) return;  // EC-08 oversold it on purpose: invariants judge
  CSIM_CHECK(row.committed + reserved <= row.on_hand, "real warehouse promised more than on hand");
}

}  // namespace csim::fakes
