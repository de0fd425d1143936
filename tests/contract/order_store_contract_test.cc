// The OrderStore contract (core/ports/order_store.h), against FakeOrderStore and PgOrderStore: the
// cart_session_id unique constraint as a typed kConflict, the order's version check, the
// processed-event record that makes a second delivery a no-op, outbox rows stored with the order
// or not at all, and the queries the workers run.
#include <gtest/gtest.h>

#include "tests/contract/envs.h"

namespace csim::contract {
namespace {

Order MakeOrder(std::string id, std::string session, std::int64_t version = 1,
                OrderStatus status = OrderStatus::kPending) {
  Order order;
  order.id = std::move(id);
  order.cart_session_id = std::move(session);
  order.checkout_attempt = order.cart_session_id + ":v1";
  order.customer_id = "cust-1";
  order.items = {OrderItem{"SKU-1", "WH-1", 2, 150 * kVnd, "res-1"},
                 OrderItem{"SKU-2", "WH-2", 1, 99 * kVnd, "res-2"}};
  order.subtotal = 399 * kVnd;
  order.shipping_fee = 20 * kVnd;
  order.discount = 10 * kVnd;
  order.points_redeemed = 5;
  order.points_value = 5 * kVnd;
  order.total = order.subtotal + order.shipping_fee - order.discount - order.points_value;
  order.promo_codes = {"SAVE10"};
  order.authorization_id = "auth-1";
  order.status = status;
  order.expiry_at = kStartUs + 15 * kMinuteUs;
  order.created_at = kStartUs;
  order.version = version;
  return order;
}

Event MakeEvent(std::string id) {
  return Event{std::move(id), "orders.order.created", "ord-1", {{"total", "40400"}}};
}

template <class Env>
class OrderStoreContract : public ContractTest<Env> {
 protected:
  using ContractTest<Env>::env;
  OrderStore& store() { return env.store(); }
  Status Commit(OrderWrite write) { return RunSync(store().Commit(write)); }
  std::vector<std::string> DueEventIds() {
    std::vector<std::string> ids;
    const std::vector<OutboxRow> rows = RunSync(store().DueOutbox(env.clock.Now(), 100)).value();
    for (const OutboxRow& row : rows) {
      ids.push_back(row.event.id);
    }
    return ids;
  }
};

using OrderEnvs = ::testing::Types<FakeOrderEnv, PgOrderEnv>;
TYPED_TEST_SUITE(OrderStoreContract, OrderEnvs, EnvName);

TYPED_TEST(OrderStoreContract, StoresAnOrderWithItsItemsAsGiven) {
  Order order = MakeOrder("ord-1", "sess-1");
  order.cancelled_at = kStartUs + 1;
  order.payment_method = PaymentMethod::kCashOnDelivery;
  ASSERT_TRUE(this->Commit({order, std::nullopt, {MakeEvent("ev-created")}, ""}).ok());
  Result<Order> stored = RunSync(this->store().GetOrder("ord-1"));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored.value(), order);
  EXPECT_EQ(RunSync(this->store().FindBySession("sess-1")).value(), order);
  EXPECT_EQ(RunSync(this->store().GetOrder("ord-2")).code(), Code::kNotFound);
  EXPECT_EQ(RunSync(this->store().FindBySession("sess-2")).code(), Code::kNotFound);
  EXPECT_EQ(this->DueEventIds(), (std::vector<std::string>{"ev-created"}));

  Order cod = MakeOrder("ord-2", "sess-2");
  cod.expiry_at = std::nullopt;  // EC-11: a COD order without expiry
  cod.items.clear();
  ASSERT_TRUE(this->Commit({cod, std::nullopt, {}, ""}).ok());
  EXPECT_EQ(RunSync(this->store().GetOrder("ord-2")).value(), cod);
}

TYPED_TEST(OrderStoreContract, SecondOrderForASessionIsATypedConflictAndWritesNothing) {
  ASSERT_TRUE(
      this->Commit({MakeOrder("ord-1", "sess-1"), std::nullopt, {MakeEvent("ev-1")}, ""}).ok());
  // A retried checkout creating its order again under a new id: the unique constraint refuses it,
  // with its outbox row and its processed-event record.
  const Status again =
      this->Commit({MakeOrder("ord-2", "sess-1"), std::nullopt, {MakeEvent("ev-2")}, "msg-2"});
  EXPECT_EQ(again.code(), Code::kConflict) << again.ToString();
  EXPECT_EQ(RunSync(this->store().GetOrder("ord-2")).code(), Code::kNotFound);
  EXPECT_EQ(RunSync(this->store().FindBySession("sess-1"))->id, "ord-1");
  EXPECT_EQ(RunSync(this->store().IsProcessed("msg-2")).value(), false);
  EXPECT_EQ(this->DueEventIds(), (std::vector<std::string>{"ev-1"}));

  const Status same_id =
      this->Commit({MakeOrder("ord-1", "sess-3"), std::nullopt, {MakeEvent("ev-3")}, ""});
  EXPECT_EQ(same_id.code(), Code::kConflict) << same_id.ToString();
  EXPECT_EQ(RunSync(this->store().FindBySession("sess-3")).code(), Code::kNotFound);
  EXPECT_EQ(this->Commit({MakeOrder("ord-4", ""), std::nullopt, {}, ""}).code(),
            Code::kInvalidArgument);
}

TYPED_TEST(OrderStoreContract, UpdateChecksTheVersionAndNothingElseIsWrittenOnConflict) {
  ASSERT_TRUE(this->Commit({MakeOrder("ord-1", "sess-1"), std::nullopt, {}, ""}).ok());
  Order confirmed = MakeOrder("ord-1", "sess-1", 2, OrderStatus::kConfirmed);
  confirmed.captured = confirmed.total;
  confirmed.items.pop_back();
  ASSERT_TRUE(this->Commit({std::nullopt, confirmed, {MakeEvent("ev-confirmed")}, ""}).ok());
  EXPECT_EQ(RunSync(this->store().GetOrder("ord-1")).value(), confirmed)
      << "items replaced with the row";

  Order stale = MakeOrder("ord-1", "sess-1", 2, OrderStatus::kCancelled);
  const Status conflict = this->Commit({std::nullopt, stale, {MakeEvent("ev-stale")}, "msg-9"});
  EXPECT_EQ(conflict.code(), Code::kConflict) << conflict.ToString();
  EXPECT_EQ(RunSync(this->store().GetOrder("ord-1")).value(), confirmed);
  EXPECT_EQ(RunSync(this->store().IsProcessed("msg-9")).value(), false);
  EXPECT_EQ(this->DueEventIds(), (std::vector<std::string>{"ev-confirmed"}));

  EXPECT_EQ(this->Commit({std::nullopt, MakeOrder("ord-9", "sess-9", 2), {}, ""}).code(),
            Code::kNotFound);
  EXPECT_EQ(this->Commit({std::nullopt, MakeOrder("ord-1", "sess-other", 3), {}, ""}).code(),
            Code::kInvalidArgument)
      << "cart_session_id never changes";
}

TYPED_TEST(OrderStoreContract, ADedupRecordMakesASecondDeliveryANoOp) {
  ASSERT_TRUE(this->Commit({MakeOrder("ord-1", "sess-1"), std::nullopt, {}, ""}).ok());
  EXPECT_EQ(RunSync(this->store().IsProcessed("pay-confirmed-1")).value(), false);
  Order paid = MakeOrder("ord-1", "sess-1", 2, OrderStatus::kConfirmed);
  ASSERT_TRUE(
      this->Commit({std::nullopt, paid, {MakeEvent("ev-capture-1")}, "pay-confirmed-1"}).ok());
  EXPECT_EQ(RunSync(this->store().IsProcessed("pay-confirmed-1")).value(), true);

  // The bus delivers the same event again; a consumer that did not check IsProcessed first
  // commits its effect again: the record refuses the whole commit.
  Order twice = MakeOrder("ord-1", "sess-1", 3, OrderStatus::kProcessing);
  const Status second =
      this->Commit({std::nullopt, twice, {MakeEvent("ev-capture-2")}, "pay-confirmed-1"});
  EXPECT_EQ(second.code(), Code::kConflict) << second.ToString();
  EXPECT_EQ(RunSync(this->store().GetOrder("ord-1")).value(), paid);
  EXPECT_EQ(this->DueEventIds(), (std::vector<std::string>{"ev-capture-1"}));
  EXPECT_TRUE(this->Commit({std::nullopt, twice, {}, "pay-confirmed-2"}).ok())
      << "another event id is not a duplicate";
}

TYPED_TEST(OrderStoreContract, FindOrdersMatchesStatusesExpiryAndCreationById) {
  Order expired = MakeOrder("ord-10", "s-10");
  expired.expiry_at = kStartUs - 1;
  Order live = MakeOrder("ord-9", "s-9");
  Order no_expiry = MakeOrder("ord-8", "s-8");
  no_expiry.expiry_at = std::nullopt;
  Order confirmed = MakeOrder("ord-7", "s-7", 1, OrderStatus::kConfirmed);
  confirmed.created_at = kStartUs - kDayUs;
  for (const Order& order : {expired, live, no_expiry, confirmed}) {
    ASSERT_TRUE(this->Commit({order, std::nullopt, {}, ""}).ok());
  }
  auto ids = [this](OrderQuery query) {
    std::vector<std::string> found;
    const std::vector<Order> orders = RunSync(this->store().FindOrders(query)).value();
    for (const Order& order : orders) {
      found.push_back(order.id);
    }
    return found;
  };
  EXPECT_EQ(ids({{OrderStatus::kPending}, std::nullopt, std::nullopt, 100}),
            (std::vector<std::string>{"ord-10", "ord-8", "ord-9"}));
  EXPECT_EQ(ids({{OrderStatus::kPending}, kStartUs, std::nullopt, 100}),
            (std::vector<std::string>{"ord-10"}))
      << "no expiry_at never matches expiry_at < x";
  EXPECT_EQ(ids({{}, std::nullopt, kStartUs, 100}), (std::vector<std::string>{"ord-7"}));
  EXPECT_EQ(ids({{OrderStatus::kConfirmed, OrderStatus::kPending}, std::nullopt, std::nullopt, 2}),
            (std::vector<std::string>{"ord-10", "ord-7"}));
  std::vector<Order> full =
      RunSync(this->store().FindOrders({{OrderStatus::kConfirmed}, std::nullopt, std::nullopt, 9}))
          .value();
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(full[0], confirmed) << "found orders carry their items";
  EXPECT_EQ(RunSync(this->store().FindOrders({{}, std::nullopt, std::nullopt, 0})).code(),
            Code::kInvalidArgument);
}

// SIM-20's filters, applied before the limit: the workers' scans see only what is left to do.
TYPED_TEST(OrderStoreContract, FindOrdersFiltersUnsettledMoneyAndUnreleasedStockBeforeTheLimit) {
  auto cancelled = [](std::string id) {
    Order order = MakeOrder(id, "s-" + id, 1, OrderStatus::kCancelled);
    order.cancelled_at = kStartUs;
    order.stock_released = true;
    order.hold_voided = true;
    return order;
  };
  Order settled = cancelled("ord-1");
  Order hold = cancelled("ord-2");  // never captured, its hold not recorded voided
  hold.hold_voided = false;
  Order owed = cancelled("ord-3");  // captured, not all refunded
  owed.captured = owed.total;
  owed.refunded = owed.total - 1;
  Order refunded = cancelled("ord-4");  // captured and refunded: settled
  refunded.captured = refunded.total;
  refunded.refunded = refunded.total;
  Order cash = cancelled("ord-5");  // no authorization: no hold to void
  cash.authorization_id = "";
  cash.hold_voided = false;
  Order stock = cancelled("ord-6");  // stock not released
  stock.stock_released = false;
  Order never_cancelled = MakeOrder("ord-7", "s-ord-7", 1, OrderStatus::kCancelled);
  never_cancelled.cancelled_at = std::nullopt;  // no cancellation time: not the cleanup's
  never_cancelled.hold_voided = true;
  for (const Order& order : {settled, hold, owed, refunded, cash, stock, never_cancelled}) {
    ASSERT_TRUE(this->Commit({order, std::nullopt, {}, ""}).ok());
  }
  auto ids = [this](OrderQuery query) {
    std::vector<std::string> found;
    const std::vector<Order> orders = RunSync(this->store().FindOrders(query)).value();
    for (const Order& order : orders) found.push_back(order.id);
    return found;
  };
  OrderQuery money{{OrderStatus::kCancelled}, std::nullopt, std::nullopt, 100};
  money.payment_unsettled = true;
  EXPECT_EQ(ids(money), (std::vector<std::string>{"ord-2", "ord-3"}));
  money.limit = 1;  // the limit counts matching rows only
  EXPECT_EQ(ids(money), (std::vector<std::string>{"ord-2"}));
  OrderQuery released{{OrderStatus::kCancelled}, std::nullopt, std::nullopt, 100};
  released.stock_unreleased = true;
  EXPECT_EQ(ids(released), (std::vector<std::string>{"ord-6"}));
  OrderQuery all{{OrderStatus::kCancelled}, std::nullopt, std::nullopt, 100};
  EXPECT_EQ(ids(all).size(), 7u);
}

TYPED_TEST(OrderStoreContract, RefusesTextTheDatabaseCannotStore) {
  Order nul = MakeOrder("ord-1", "sess-1");
  nul.authorization_id = std::string{"auth\0-1", 7};
  EXPECT_EQ(this->Commit({nul, std::nullopt, {}, ""}).code(), Code::kInvalidArgument);
  Order bad_item = MakeOrder("ord-1", "sess-1");
  bad_item.items[0].reservation_id = "res-\xc3";  // a cut multi-byte sequence
  EXPECT_EQ(this->Commit({bad_item, std::nullopt, {}, ""}).code(), Code::kInvalidArgument);
  EXPECT_EQ(
      this->Commit({MakeOrder("ord-1", "sess-1"), std::nullopt, {}, std::string{"ev\0", 3}}).code(),
      Code::kInvalidArgument);
  EXPECT_EQ(RunSync(this->store().GetOrder("ord-1")).code(), Code::kNotFound);
  EXPECT_EQ(RunSync(this->store().FindBySession("sess-1")).code(), Code::kNotFound);
}

}  // namespace
}  // namespace csim::contract
