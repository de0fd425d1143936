#include "fakes/fake_warehouse.h"

#include <gtest/gtest.h>

#include "core/check.h"
#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

constexpr DurationUs kTtlUs = 15 * kMinuteUs;

ReserveRequest Request(std::string warehouse_id, std::int32_t quantity, std::string reference,
                       std::string sku = "sku-1") {
  return ReserveRequest{std::move(sku), std::move(warehouse_id), quantity, kTtlUs,
                        std::move(reference)};
}

class FakeWarehouseTest : public ::testing::Test {
 protected:
  FakeWarehouseTest() {
    warehouse.SetStock("sku-1", "wh-a", 10);
    warehouse.SetStock("sku-1", "wh-b", 5);
  }

  std::string Reserve(const ReserveRequest& request) {
    Result<std::string> id = RunSync(warehouse.ReserveWithTtl(request));
    CSIM_CHECK(id.ok(), "test reservation failed");
    return id.value();
  }
  ReservationStatus StatusOf(const std::string& id) const {
    return warehouse.FindReservation(id)->status;
  }
  const StockRow& Row(const std::string& sku, const std::string& warehouse_id) const {
    return warehouse.StockRows().at({sku, warehouse_id});
  }

  ManualClock clock{1'000};
  FakeWarehouse warehouse{clock};
};

TEST_F(FakeWarehouseTest, ReserveHoldsStockAndConfirmCommitsIt) {
  const std::string id = Reserve(Request("wh-a", 4, "order-1:sku-1"));
  EXPECT_EQ(id, "res-1");
  EXPECT_EQ(warehouse.ActiveReserved("sku-1", "wh-a", clock.Now()), 4);
  EXPECT_EQ(RunSync(warehouse.Available("sku-1")).value(), 11);  // 6 + 5

  EXPECT_TRUE(RunSync(warehouse.Confirm(id)).ok());
  EXPECT_EQ(StatusOf(id), ReservationStatus::kConfirmed);
  EXPECT_EQ(Row("sku-1", "wh-a").committed, 4);
  EXPECT_EQ(warehouse.ActiveReserved("sku-1", "wh-a", clock.Now()), 0);
  EXPECT_EQ(warehouse.FindReservation(id)->committed_warehouse_id, "wh-a");
  EXPECT_EQ(RunSync(warehouse.Available("sku-1")).value(), 11);
  EXPECT_TRUE(RunSync(warehouse.Confirm(id)).ok()) << "confirm is idempotent";
  EXPECT_EQ(Row("sku-1", "wh-a").committed, 4);
}

TEST_F(FakeWarehouseTest, SameReferenceReturnsSameReservationInAnyStatus) {
  const std::string id = Reserve(Request("wh-a", 4, "ref-1"));
  EXPECT_EQ(Reserve(Request("wh-a", 4, "ref-1")), id);
  EXPECT_EQ(warehouse.ActiveReserved("sku-1", "wh-a", clock.Now()), 4) << "held once";
  EXPECT_TRUE(RunSync(warehouse.Release(id)).ok());
  EXPECT_EQ(Reserve(Request("wh-a", 4, "ref-1")), id) << "a late retry gets the released one";
  EXPECT_EQ(StatusOf(id), ReservationStatus::kReleased);
  EXPECT_EQ(warehouse.Reservations().size(), 1u);
}

TEST_F(FakeWarehouseTest, InsufficientStockAndBadArguments) {
  Reserve(Request("wh-b", 3, "ref-1"));
  Result<std::string> short_of = RunSync(warehouse.ReserveWithTtl(Request("wh-b", 3, "ref-2")));
  EXPECT_EQ(short_of.code(), Code::kInsufficient);
  EXPECT_EQ(Reserve(Request("wh-b", 2, "ref-3")), "res-2") << "exactly what is left";

  EXPECT_EQ(RunSync(warehouse.ReserveWithTtl(Request("wh-a", 0, "ref-4"))).code(),
            Code::kInvalidArgument);
  ReserveRequest no_ttl = Request("wh-a", 1, "ref-5");
  no_ttl.ttl_us = 0;
  EXPECT_EQ(RunSync(warehouse.ReserveWithTtl(no_ttl)).code(), Code::kInvalidArgument);
  EXPECT_EQ(RunSync(warehouse.ReserveWithTtl(Request("wh-zz", 1, "ref-6"))).code(),
            Code::kNotFound);
  EXPECT_EQ(RunSync(warehouse.ReserveWithTtl(Request("wh-a", 1, "ref-7", "sku-none"))).code(),
            Code::kInsufficient)
      << "a known warehouse that never stocked the sku has none available";
  EXPECT_EQ(warehouse.Reservations().size(), 2u);
}

TEST_F(FakeWarehouseTest, TtlLapsesThenTakeExpiredSweepsOnce) {
  const std::string first = Reserve(Request("wh-a", 6, "ref-1"));
  clock.Advance(5 * kMinuteUs);
  const std::string second = Reserve(Request("wh-a", 4, "ref-2"));
  EXPECT_EQ(RunSync(warehouse.ReserveWithTtl(Request("wh-a", 1, "ref-3"))).code(),
            Code::kInsufficient);

  clock.Set(1'000 + kTtlUs);  // the first one lapses exactly now
  EXPECT_EQ(warehouse.ActiveReserved("sku-1", "wh-a", clock.Now()), 4);
  EXPECT_EQ(StatusOf(first), ReservationStatus::kActive) << "not swept yet";
  EXPECT_EQ(RunSync(warehouse.Available("sku-1")).value(), 6 + 5);

  std::vector<Reservation> expired = warehouse.TakeExpired(clock.Now());
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, first);
  EXPECT_EQ(expired[0].status, ReservationStatus::kExpired);
  EXPECT_EQ(StatusOf(first), ReservationStatus::kExpired);
  EXPECT_TRUE(warehouse.TakeExpired(clock.Now()).empty()) << "swept once";

  clock.Advance(10 * kMinuteUs);
  expired = warehouse.TakeExpired(clock.Now());
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, second);
  EXPECT_EQ(RunSync(warehouse.Available("sku-1")).value(), 15);
}

TEST_F(FakeWarehouseTest, ConfirmAfterExpiryFails) {
  const std::string lapsed = Reserve(Request("wh-a", 2, "ref-1"));
  clock.Advance(kTtlUs);
  EXPECT_EQ(RunSync(warehouse.Confirm(lapsed)).code(), Code::kFailedPrecondition)
      << "lapsed, not yet swept";
  EXPECT_EQ(StatusOf(lapsed), ReservationStatus::kActive);
  ASSERT_EQ(warehouse.TakeExpired(clock.Now()).size(), 1u) << "the sweep still reports it";
  EXPECT_EQ(RunSync(warehouse.Confirm(lapsed)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Row("sku-1", "wh-a").committed, 0);
  EXPECT_EQ(RunSync(warehouse.Confirm("res-404")).code(), Code::kNotFound);
}

TEST_F(FakeWarehouseTest, ReleaseRules) {
  const std::string confirmed = Reserve(Request("wh-a", 2, "ref-1"));
  ASSERT_TRUE(RunSync(warehouse.Confirm(confirmed)).ok());
  EXPECT_EQ(RunSync(warehouse.Release(confirmed)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Row("sku-1", "wh-a").committed, 2);

  const std::string released = Reserve(Request("wh-a", 3, "ref-2"));
  EXPECT_TRUE(RunSync(warehouse.Release(released)).ok());
  EXPECT_TRUE(RunSync(warehouse.Release(released)).ok()) << "idempotent";
  EXPECT_EQ(RunSync(warehouse.Confirm(released)).code(), Code::kFailedPrecondition);
  EXPECT_EQ(warehouse.ActiveReserved("sku-1", "wh-a", clock.Now()), 0);

  const std::string lapsed = Reserve(Request("wh-a", 1, "ref-3"));
  clock.Advance(kTtlUs);
  EXPECT_TRUE(RunSync(warehouse.Release(lapsed)).ok());
  EXPECT_EQ(warehouse.TakeExpired(clock.Now()).size(), 1u);
  EXPECT_TRUE(RunSync(warehouse.Release(lapsed)).ok());
  EXPECT_EQ(RunSync(warehouse.Release("res-404")).code(), Code::kNotFound);
}

TEST_F(FakeWarehouseTest, PhantomWarehouseOversellsTheDefaultWarehouse) {
  // EC-08: the last units of wh-b go to a real customer; a phantom one takes them again.
  warehouse.SetStock("sku-2", "wh-b", 1);
  warehouse.SetStock("sku-2", "wh-c", 0);
  const std::string real = Reserve(Request("wh-b", 1, "real", "sku-2"));
  const std::string phantom = Reserve(Request("", 3, "phantom", "sku-2"));
  EXPECT_EQ(warehouse.FindReservation(phantom)->warehouse_id, "");
  EXPECT_EQ(warehouse.ActiveReserved("sku-2", "", clock.Now()), 3);
  EXPECT_EQ(RunSync(warehouse.Available("sku-2")).value(), 0);

  ASSERT_TRUE(RunSync(warehouse.Confirm(real)).ok());
  ASSERT_TRUE(RunSync(warehouse.Confirm(phantom)).ok());
  EXPECT_EQ(warehouse.DefaultWarehouse("sku-2"), "wh-b");
  EXPECT_EQ(warehouse.FindReservation(phantom)->committed_warehouse_id, "wh-b");
  const StockRow& row = Row("sku-2", "wh-b");
  EXPECT_EQ(row.on_hand, 1);
  EXPECT_EQ(row.committed, 4) << "committed exceeds on hand: the oversell invariants must see";
  EXPECT_EQ(row.phantom_committed, 3);
  EXPECT_EQ(RunSync(warehouse.Available("sku-2")).value(), 0) << "never negative";

  std::vector<StockView> views = warehouse.StockViews(clock.Now());
  ASSERT_EQ(views.size(), 4u);  // sku-1 x2, sku-2 x2
  EXPECT_EQ(views[2], (StockView{"sku-2", "wh-b", 1, 4, 0, 3}));

  // The phantom order line is cancelled: its units go back where they were committed.
  EXPECT_TRUE(RunSync(warehouse.Restock("sku-2", "", 3, "cancel-phantom")).ok());
  EXPECT_EQ(Row("sku-2", "wh-b").committed, 1);
}

TEST_F(FakeWarehouseTest, PhantomReservationIsVisibleAndExpires) {
  Reserve(Request("", 50, "phantom"));
  std::vector<StockView> views = warehouse.StockViews(clock.Now());
  ASSERT_EQ(views.size(), 3u);
  EXPECT_EQ(views[0], (StockView{"sku-1", "", 0, 0, 50, 0})) << "reserved against nothing";
  clock.Advance(kTtlUs);
  EXPECT_EQ(warehouse.TakeExpired(clock.Now()).size(), 1u);
  EXPECT_EQ(warehouse.StockViews(clock.Now()).size(), 2u);
}

TEST_F(FakeWarehouseTest, PhantomConfirmWithoutAnyStockRowCommitsToNothing) {
  const std::string phantom = Reserve(Request("", 2, "phantom", "sku-unknown"));
  ASSERT_TRUE(RunSync(warehouse.Confirm(phantom)).ok());
  EXPECT_EQ(warehouse.FindReservation(phantom)->committed_warehouse_id, "");
  EXPECT_EQ(Row("sku-unknown", "").committed, 2);
  EXPECT_EQ(Row("sku-unknown", "").on_hand, 0);
  EXPECT_EQ(warehouse.DefaultWarehouse("sku-unknown"), std::nullopt);
}

TEST_F(FakeWarehouseTest, RestockIsIdempotentByReference) {
  const std::string id = Reserve(Request("wh-a", 4, "ref-1"));
  ASSERT_TRUE(RunSync(warehouse.Confirm(id)).ok());
  EXPECT_TRUE(RunSync(warehouse.Restock("sku-1", "wh-a", 3, "cancel-1")).ok());
  EXPECT_TRUE(RunSync(warehouse.Restock("sku-1", "wh-a", 3, "cancel-1")).ok());
  EXPECT_EQ(Row("sku-1", "wh-a").committed, 1);
  EXPECT_EQ(Row("sku-1", "wh-a").restocked, 3);
  EXPECT_EQ(RunSync(warehouse.Restock("sku-1", "wh-a", 2, "cancel-2")).code(),
            Code::kFailedPrecondition)
      << "more than committed";
  EXPECT_EQ(RunSync(warehouse.Restock("sku-1", "wh-zz", 1, "cancel-3")).code(), Code::kNotFound);
  EXPECT_EQ(RunSync(warehouse.Restock("sku-1", "wh-a", 0, "cancel-4")).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(warehouse.Restocks().size(), 1u);
  EXPECT_EQ(RunSync(warehouse.Available("sku-1")).value(), 14);
}

TEST_F(FakeWarehouseTest, SellElsewhereTakesOnlyAvailableUnits) {
  Reserve(Request("wh-b", 2, "ref-1"));
  EXPECT_EQ(warehouse.SellElsewhere("sku-1", "wh-b", 10), 3);
  EXPECT_EQ(Row("sku-1", "wh-b").committed, 3);
  EXPECT_EQ(Row("sku-1", "wh-b").sold_elsewhere, 3);
  EXPECT_EQ(warehouse.SellElsewhere("sku-1", "wh-b", 1), 0);
  EXPECT_EQ(RunSync(warehouse.ReserveWithTtl(Request("wh-b", 1, "ref-2"))).code(),
            Code::kInsufficient);
}

TEST_F(FakeWarehouseTest, ADeliveryAddsOnHandAndCanBeReservedAtOnce) {
  Reserve(Request("wh-b", 5, "ref-1"));  // wh-b's 5 units all held
  EXPECT_EQ(RunSync(warehouse.ReserveWithTtl(Request("wh-b", 2, "ref-2"))).code(),
            Code::kInsufficient);
  warehouse.ReceiveDelivery("sku-1", "wh-b", 2);
  EXPECT_EQ(Row("sku-1", "wh-b").on_hand, 7);
  EXPECT_EQ(Row("sku-1", "wh-b").committed, 0);
  EXPECT_TRUE(RunSync(warehouse.ReserveWithTtl(Request("wh-b", 2, "ref-2"))).ok());
  warehouse.ReceiveDelivery("sku-1", "wh-new", 4);  // a warehouse's first stock of the sku
  EXPECT_EQ(Row("sku-1", "wh-new").on_hand, 4);
  EXPECT_THROW(warehouse.ReceiveDelivery("sku-1", "wh-b", 0), CheckFailure);
  EXPECT_THROW(warehouse.ReceiveDelivery("sku-1", "", 1), CheckFailure);
}

TEST_F(FakeWarehouseTest, SetStockCannotTakePromisedUnits) {
  Reserve(Request("wh-b", 4, "ref-1"));
  EXPECT_THROW(warehouse.SetStock("sku-1", "wh-b", 3), CheckFailure);
  warehouse.SetStock("sku-1", "wh-b", 4);
  EXPECT_EQ(Row("sku-1", "wh-b").on_hand, 4);
  EXPECT_THROW(warehouse.SetStock("sku-1", "", 4), CheckFailure);
}

}  // namespace
}  // namespace csim::fakes
