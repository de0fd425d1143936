#include "fakes/fake_order_store.h"

#include <gtest/gtest.h>

#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

Order MakeOrder(std::string id, std::string session, OrderStatus status = OrderStatus::kPending) {
  Order order;
  order.id = std::move(id);
  order.cart_session_id = std::move(session);
  order.customer_id = "alice";
  order.status = status;
  order.total = 1'000;
  return order;
}

Event MakeEvent(std::string id) {
  return Event{std::move(id), "orders.order.created", "ord-1", {}};
}

class FakeOrderStoreTest : public ::testing::Test {
 protected:
  Status Commit(OrderWrite write) { return RunSync(store.Commit(write)); }

  ManualClock clock{100};
  FakeOrderStore store{clock};
};

TEST_F(FakeOrderStoreTest, UniqueIdAndCartSession) {
  ASSERT_TRUE(Commit({MakeOrder("ord-1", "s1"), {}, {MakeEvent("ev-1")}, ""}).ok());
  EXPECT_EQ(Commit({MakeOrder("ord-2", "s1"), {}, {MakeEvent("ev-2")}, ""}).code(), Code::kConflict)
      << "one order per cart session";
  EXPECT_EQ(Commit({MakeOrder("ord-1", "s2"), {}, {}, ""}).code(), Code::kConflict);
  EXPECT_EQ(store.Orders().size(), 1u);
  EXPECT_EQ(store.Outbox().size(), 1u) << "the failed commits wrote no event";
  EXPECT_EQ(RunSync(store.FindBySession("s1"))->id, "ord-1");
  EXPECT_EQ(RunSync(store.FindBySession("s2")).code(), Code::kNotFound);
  EXPECT_EQ(RunSync(store.GetOrder("ord-2")).code(), Code::kNotFound);
}

TEST_F(FakeOrderStoreTest, VersionedUpdate) {
  ASSERT_TRUE(Commit({MakeOrder("ord-1", "s1"), {}, {}, ""}).ok());
  Order confirmed = RunSync(store.GetOrder("ord-1")).value();
  confirmed.status = OrderStatus::kConfirmed;
  confirmed.version = 2;
  EXPECT_TRUE(Commit({{}, confirmed, {}, ""}).ok());
  EXPECT_EQ(Commit({{}, confirmed, {}, ""}).code(), Code::kConflict) << "stale version";
  Order moved = confirmed;
  moved.version = 3;
  moved.cart_session_id = "s9";
  EXPECT_EQ(Commit({{}, moved, {}, ""}).code(), Code::kInvalidArgument);
  Order ghost = MakeOrder("ord-9", "s9");
  ghost.version = 2;
  EXPECT_EQ(Commit({{}, ghost, {}, ""}).code(), Code::kNotFound);
  EXPECT_EQ(store.Orders().at("ord-1").status, OrderStatus::kConfirmed);
  EXPECT_EQ(store.Orders().at("ord-1").version, 2);
}

// The simulator's wrapper commits through CommitAwaitedAtOnce (no copy of the write): the same
// validation and the same rows as Commit.
TEST_F(FakeOrderStoreTest, CommitAwaitedAtOnceWritesAsCommitDoes) {
  const OrderWrite insert{MakeOrder("ord-1", "s1"), {}, {MakeEvent("ev-1")}, ""};
  ASSERT_TRUE(RunSync(store.CommitAwaitedAtOnce(insert)).ok());
  EXPECT_EQ(RunSync(store.CommitAwaitedAtOnce(insert)).code(), Code::kConflict)
      << "one order per cart session";
  Order confirmed = RunSync(store.GetOrder("ord-1")).value();
  confirmed.status = OrderStatus::kConfirmed;
  confirmed.version = 2;
  const OrderWrite update{{}, confirmed, {}, "ev-9"};
  EXPECT_TRUE(RunSync(store.CommitAwaitedAtOnce(update)).ok());
  EXPECT_EQ(RunSync(store.CommitAwaitedAtOnce(update)).code(), Code::kConflict) << "stale version";
  EXPECT_EQ(store.Orders().at("ord-1").status, OrderStatus::kConfirmed);
  EXPECT_EQ(store.Outbox().size(), 1u);
  EXPECT_TRUE(RunSync(store.IsProcessed("ev-9")).value());
}

TEST_F(FakeOrderStoreTest, ProcessedEventDedupIsAtomicWithTheUpdate) {
  ASSERT_TRUE(Commit({MakeOrder("ord-1", "s1"), {}, {}, ""}).ok());
  Order paid = MakeOrder("ord-1", "s1", OrderStatus::kConfirmed);
  paid.version = 2;
  paid.captured = 1'000;
  ASSERT_TRUE(Commit({{}, paid, {MakeEvent("ev-confirmed")}, "wh-1"}).ok());
  EXPECT_TRUE(RunSync(store.IsProcessed("wh-1")).value());
  EXPECT_FALSE(RunSync(store.IsProcessed("wh-2")).value());

  // The same webhook delivered again: the whole transaction is refused, nothing applied twice.
  Order again = paid;
  again.version = 3;
  again.captured = 2'000;
  EXPECT_EQ(Commit({{}, again, {MakeEvent("ev-confirmed-2")}, "wh-1"}).code(), Code::kConflict);
  EXPECT_EQ(store.Orders().at("ord-1").captured, 1'000);
  EXPECT_EQ(store.Orders().at("ord-1").version, 2);
  EXPECT_EQ(store.Outbox().size(), 1u);
  EXPECT_EQ(store.ProcessedEventIds(), (std::set<std::string>{"wh-1"}));
}

TEST_F(FakeOrderStoreTest, CommitWithOneBadPartWritesNothing) {
  ASSERT_TRUE(Commit({MakeOrder("ord-1", "s1"), {}, {}, ""}).ok());
  Order stale = MakeOrder("ord-1", "s1", OrderStatus::kCancelled);
  stale.version = 5;
  EXPECT_EQ(Commit({MakeOrder("ord-2", "s2"), stale, {MakeEvent("ev-1")}, "ev-x"}).code(),
            Code::kConflict);
  EXPECT_EQ(store.Orders().size(), 1u);
  EXPECT_TRUE(store.Outbox().empty());
  EXPECT_TRUE(store.ProcessedEventIds().empty());
  EXPECT_EQ(RunSync(store.FindBySession("s2")).code(), Code::kNotFound);
  EXPECT_EQ(store.CommitCount(), 1);
  EXPECT_EQ(store.FailedCommitCount(), 1);
}

TEST_F(FakeOrderStoreTest, FindOrdersFiltersAndOrdersById) {
  Order a = MakeOrder("ord-a", "s1");
  a.expiry_at = 50;
  a.created_at = 10;
  Order b = MakeOrder("ord-b", "s2");  // no expiry: EC-11
  b.created_at = 10;
  Order c = MakeOrder("ord-c", "s3", OrderStatus::kConfirmed);
  c.expiry_at = 50;
  c.created_at = 90;
  Order d = MakeOrder("ord-d", "s4");
  d.expiry_at = 500;
  d.created_at = 10;
  for (const Order& order : {d, c, b, a}) ASSERT_TRUE(Commit({order, {}, {}, ""}).ok());

  OrderQuery expired{{OrderStatus::kPending}, /*expiry_before=*/100, std::nullopt, 10};
  std::vector<Order> found = RunSync(store.FindOrders(expired)).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, "ord-a");

  OrderQuery old_any{{}, std::nullopt, /*created_before=*/50, 10};
  found = RunSync(store.FindOrders(old_any)).value();
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].id, "ord-a");
  EXPECT_EQ(found[1].id, "ord-b");
  EXPECT_EQ(found[2].id, "ord-d");

  OrderQuery limited{
      {OrderStatus::kPending, OrderStatus::kConfirmed}, std::nullopt, std::nullopt, 2};
  found = RunSync(store.FindOrders(limited)).value();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[1].id, "ord-b");
}

TEST_F(FakeOrderStoreTest, OutboxIdsIncreaseAcrossCommits) {
  ASSERT_TRUE(
      Commit({MakeOrder("ord-1", "s1"), {}, {MakeEvent("ev-1"), MakeEvent("ev-2")}, ""}).ok());
  clock.Advance(5);
  ASSERT_TRUE(Commit({{}, {}, {MakeEvent("ev-3")}, ""}).ok());
  std::vector<OutboxRow> due = RunSync(store.DueOutbox(clock.Now(), 10)).value();
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0].event.id, "ev-1");
  EXPECT_EQ(due[2].event.id, "ev-3");
  EXPECT_EQ(due[2].id, 3);
  EXPECT_EQ(due[2].created_at, 105);
}

}  // namespace
}  // namespace csim::fakes

namespace csim::fakes {
namespace {

TEST_F(FakeOrderStoreTest, RestoreReplacesEverythingWithAnotherDatabasesRows) {
  ASSERT_TRUE(Commit({MakeOrder("ord-old", "s-old"), {}, {MakeEvent("ev-old")}, ""}).ok());
  OutboxRow pending{7, MakeEvent("ev-7"), OutboxStatus::kPending, 0, 50, 40};
  OutboxRow failed{9, MakeEvent("ev-9"), OutboxStatus::kFailed, 3, 60, 40};
  OutboxRow sent{8, MakeEvent("ev-8"), OutboxStatus::kPublished, 1, 60, 40};
  store.Restore({MakeOrder("ord-1", "s1", OrderStatus::kConfirmed), MakeOrder("ord-2", "s2")},
                {{"ord-1", OrderStatus::kPending, OrderStatus::kConfirmed, 90}},
                {pending, sent, failed}, {"ev-x"});
  EXPECT_EQ(store.Orders().size(), 2u);
  EXPECT_FALSE(store.Orders().contains("ord-old"));
  EXPECT_EQ(RunSync(store.FindBySession("s2"))->id, "ord-2");
  EXPECT_EQ(store.StatusChanges().size(), 1u);
  EXPECT_EQ(store.Outbox().size(), 3u);
  auto due = RunSync(store.DueOutbox(100, 10));
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().id, 7);
  EXPECT_EQ(RunSync(store.FailedOutbox(10))->front().id, 9);
  EXPECT_TRUE(RunSync(store.IsProcessed("ev-x")).value());
  // A later commit appends after the highest restored id.
  ASSERT_TRUE(Commit({MakeOrder("ord-3", "s3"), {}, {MakeEvent("ev-10")}, ""}).ok());
  EXPECT_EQ(store.Outbox().rbegin()->first, 10);
}

TEST_F(FakeOrderStoreTest, FindOrdersMergesItsStatusesByIdAndFindOrderFollowsUpdates) {
  // Ids interleave across two statuses, with a third status the query does not ask for.
  ASSERT_TRUE(Commit({MakeOrder("ord-1", "s1", OrderStatus::kPending), {}, {}, ""}).ok());
  ASSERT_TRUE(Commit({MakeOrder("ord-2", "s2", OrderStatus::kConfirmed), {}, {}, ""}).ok());
  ASSERT_TRUE(Commit({MakeOrder("ord-3", "s3", OrderStatus::kCancelled), {}, {}, ""}).ok());
  ASSERT_TRUE(Commit({MakeOrder("ord-4", "s4", OrderStatus::kPending), {}, {}, ""}).ok());
  ASSERT_TRUE(Commit({MakeOrder("ord-5", "s5", OrderStatus::kConfirmed), {}, {}, ""}).ok());
  OrderQuery query;
  query.statuses = {OrderStatus::kConfirmed, OrderStatus::kPending, OrderStatus::kConfirmed};
  query.limit = 3;
  std::vector<Order> found = RunSync(store.FindOrders(query)).value();
  ASSERT_EQ(found.size(), 3u) << "the limit, with a status asked twice counted once";
  EXPECT_EQ(found[0].id, "ord-1");
  EXPECT_EQ(found[1].id, "ord-2");
  EXPECT_EQ(found[2].id, "ord-4");

  // ord-1 leaves both statuses: the next query skips it; the key index sees the new row.
  Order cancelled = store.Orders().at("ord-1");
  cancelled.status = OrderStatus::kCancelled;
  cancelled.version = 2;
  ASSERT_TRUE(Commit({{}, cancelled, {}, ""}).ok());
  query.limit = 10;
  found = RunSync(store.FindOrders(query)).value();
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].id, "ord-2");
  EXPECT_EQ(found[2].id, "ord-5");
  ASSERT_NE(store.FindOrder("ord-1"), nullptr);
  EXPECT_EQ(store.FindOrder("ord-1")->status, OrderStatus::kCancelled);
  EXPECT_EQ(store.FindOrder("ord-1")->version, 2);
  EXPECT_EQ(store.FindOrder("ord-1"), &store.Orders().at("ord-1")) << "the stored row itself";
  EXPECT_EQ(store.FindOrder("ord-9"), nullptr);

  store.Restore({MakeOrder("ord-7", "s7")}, {}, {}, {});
  EXPECT_EQ(store.FindOrder("ord-1"), nullptr) << "restored rows replace the old ones";
  ASSERT_NE(store.FindOrder("ord-7"), nullptr);
  EXPECT_EQ(store.FindOrder("ord-7")->cart_session_id, "s7");
}

}  // namespace
}  // namespace csim::fakes
