#include "fakes/fake_checkout_store.h"

#include <gtest/gtest.h>

#include "fakes/manual_clock.h"
#include "fakes/run_sync.h"

namespace csim::fakes {
namespace {

Cart MakeCart(std::string id, std::int64_t version, TimeUs updated_at,
              CartStatus status = CartStatus::kActive) {
  Cart cart;
  cart.id = std::move(id);
  cart.session_id = "session-" + cart.id;
  cart.customer_id = "alice";
  cart.version = version;
  cart.status = status;
  cart.updated_at = updated_at;
  return cart;
}

Event MakeEvent(std::string id, std::string topic = "checkout.cart.completed") {
  return Event{std::move(id), std::move(topic), "cart-1", {}};
}

class FakeCheckoutStoreTest : public ::testing::Test {
 protected:
  Status Commit(CheckoutWrite write) { return RunSync(store.Commit(write)); }

  ManualClock clock{100};
  FakeCheckoutStore store{clock};
};

TEST_F(FakeCheckoutStoreTest, InsertThenVersionedUpdate) {
  ASSERT_TRUE(Commit({{{MakeCart("cart-1", 1, 0), 0}}, {}, {}}).ok());
  EXPECT_EQ(RunSync(store.GetCart("cart-1"))->version, 1);
  EXPECT_EQ(Commit({{{MakeCart("cart-1", 1, 0), 0}}, {}, {}}).code(), Code::kConflict)
      << "insert of an existing id";
  EXPECT_TRUE(Commit({{{MakeCart("cart-1", 2, 5), 1}}, {}, {}}).ok());
  EXPECT_EQ(Commit({{{MakeCart("cart-1", 2, 6), 1}}, {}, {}}).code(), Code::kConflict)
      << "a stale writer";
  EXPECT_EQ(Commit({{{MakeCart("cart-1", 5, 6), 2}}, {}, {}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(Commit({{{MakeCart("cart-9", 3, 6), 2}}, {}, {}}).code(), Code::kNotFound);
  EXPECT_EQ(RunSync(store.GetCart("cart-9")).code(), Code::kNotFound);
  EXPECT_EQ(store.Carts().at("cart-1").updated_at, 5);
  EXPECT_EQ(store.CommitCount(), 2);
  EXPECT_EQ(store.FailedCommitCount(), 4);
}

// The simulator's wrapper commits through CommitAwaitedAtOnce (no copy of the write): the same
// validation, the same rows and the same counts as Commit.
TEST_F(FakeCheckoutStoreTest, CommitAwaitedAtOnceWritesAsCommitDoes) {
  const CheckoutWrite insert{{{MakeCart("cart-1", 1, 0), 0}}, {MakeEvent("ev-1")}, {}};
  ASSERT_TRUE(RunSync(store.CommitAwaitedAtOnce(insert)).ok());
  EXPECT_EQ(RunSync(store.GetCart("cart-1"))->version, 1);
  EXPECT_EQ(store.Outbox().size(), 1u);
  EXPECT_EQ(RunSync(store.CommitAwaitedAtOnce(insert)).code(), Code::kConflict)
      << "insert of an existing id";
  const CheckoutWrite update{{{MakeCart("cart-1", 2, 5), 1}}, {}, {}};
  EXPECT_TRUE(RunSync(store.CommitAwaitedAtOnce(update)).ok());
  EXPECT_EQ(store.Carts().at("cart-1").updated_at, 5);
  EXPECT_EQ(store.CommitCount(), 2);
  EXPECT_EQ(store.FailedCommitCount(), 1);
}

// The store's own record of when each cart was written (STOCK-NO-LEAK's ground truth), not the
// time the writer stamped: a writer that read the clock at 5 and committed at 900 wrote at 900. A
// failed commit changes nothing; a restored snapshot knows only the writers' stamps.
TEST_F(FakeCheckoutStoreTest, CartWrittenAtIsTheStoresClockNotTheWritersStamp) {
  ASSERT_TRUE(Commit({{{MakeCart("cart-1", 1, 0), 0}}, {}, {}}).ok());
  EXPECT_EQ(store.CartWrittenAt("cart-1"), 100);
  clock.Set(900);
  ASSERT_TRUE(Commit({{{MakeCart("cart-1", 2, 5), 1}}, {}, {}}).ok());
  EXPECT_EQ(store.Carts().at("cart-1").updated_at, 5);
  EXPECT_EQ(store.CartWrittenAt("cart-1"), 900);
  clock.Set(1'000);
  EXPECT_EQ(Commit({{{MakeCart("cart-1", 2, 7), 1}}, {}, {}}).code(), Code::kConflict);
  EXPECT_EQ(store.CartWrittenAt("cart-1"), 900);
  store.Restore({MakeCart("cart-2", 4, 42)}, {}, {});
  EXPECT_EQ(store.CartWrittenAt("cart-2"), 42);
  EXPECT_EQ(store.Carts().count("cart-1"), 0u);
}

TEST_F(FakeCheckoutStoreTest, CommitWithOneBadPartWritesNothing) {
  ASSERT_TRUE(Commit({{{MakeCart("cart-1", 1, 0), 0}}, {}, {}}).ok());
  FailedCompensation compensation;
  compensation.kind = CompensationKind::kVoidAuthorization;
  compensation.subject = "auth-1";
  CheckoutWrite write{{{MakeCart("cart-2", 1, 0), 0}, {MakeCart("cart-1", 3, 0), 1}},
                      {MakeEvent("ev-1")},
                      {compensation}};
  EXPECT_EQ(Commit(write).code(), Code::kInvalidArgument) << "cart-1 version jumps";
  EXPECT_EQ(store.Carts().size(), 1u);
  EXPECT_TRUE(store.Outbox().empty());
  EXPECT_TRUE(store.Compensations().empty());

  write.carts[1].cart.version = 2;
  write.outbox.push_back(MakeEvent(""));
  EXPECT_EQ(Commit(write).code(), Code::kInvalidArgument) << "an event without id";
  EXPECT_EQ(store.Carts().size(), 1u);

  write.outbox.pop_back();
  write.compensations.push_back(compensation);
  write.compensations.back().id = 42;
  EXPECT_EQ(Commit(write).code(), Code::kNotFound) << "an unknown compensation";
  EXPECT_EQ(store.Carts().at("cart-1").version, 1);

  write.compensations.pop_back();
  EXPECT_TRUE(Commit(write).ok());
  EXPECT_EQ(store.Carts().size(), 2u);
  EXPECT_EQ(store.Carts().at("cart-1").version, 2);
  EXPECT_EQ(store.Outbox().size(), 1u);
  EXPECT_EQ(store.Compensations().size(), 1u);
}

TEST_F(FakeCheckoutStoreTest, FindCartsByStatusAndAgeOrderedById) {
  CheckoutWrite write;
  for (const char* id : {"cart-3", "cart-1", "cart-2", "cart-4"}) {
    write.carts.push_back({MakeCart(id, 1, 10, CartStatus::kCheckout), 0});
  }
  write.carts.push_back({MakeCart("cart-5", 1, 50, CartStatus::kCheckout), 0});
  write.carts.push_back({MakeCart("cart-0", 1, 10, CartStatus::kActive), 0});
  ASSERT_TRUE(Commit(write).ok());
  Result<std::vector<Cart>> found =
      RunSync(store.FindCarts({CartStatus::kCheckout, /*updated_before=*/20, /*limit=*/3}));
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ(found.value()[0].id, "cart-1");
  EXPECT_EQ(found.value()[1].id, "cart-2");
  EXPECT_EQ(found.value()[2].id, "cart-3");
  EXPECT_EQ(RunSync(store.FindCarts({CartStatus::kCheckout, 20, 0})).code(),
            Code::kInvalidArgument);
}

TEST_F(FakeCheckoutStoreTest, OutboxRowsInOrderAndDueByTime) {
  ASSERT_TRUE(Commit({{}, {MakeEvent("ev-1"), MakeEvent("ev-2")}, {}}).ok());
  clock.Set(200);
  ASSERT_TRUE(Commit({{}, {MakeEvent("ev-3")}, {}}).ok());
  const OutboxRow& first = store.Outbox().at(1);
  EXPECT_EQ(first.event.id, "ev-1");
  EXPECT_EQ(first.status, OutboxStatus::kPending);
  EXPECT_EQ(first.created_at, 100);
  EXPECT_EQ(first.next_attempt_at, 100);
  EXPECT_EQ(store.Outbox().at(3).created_at, 200);

  std::vector<OutboxRow> due = RunSync(store.DueOutbox(150, 10)).value();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, 1);
  EXPECT_EQ(due[1].id, 2);

  OutboxRow retry = due[0];
  retry.attempts = 1;
  retry.next_attempt_at = 1'000;
  ASSERT_TRUE(RunSync(store.UpdateOutbox(retry)).ok());
  OutboxRow published = due[1];
  published.status = OutboxStatus::kPublished;
  ASSERT_TRUE(RunSync(store.UpdateOutbox(published)).ok());
  due = RunSync(store.DueOutbox(500, 10)).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, 3);
  due = RunSync(store.DueOutbox(1'000, 1)).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, 1) << "oldest id first, within the limit";
  EXPECT_EQ(due[0].attempts, 1);

  retry.id = 99;
  EXPECT_EQ(RunSync(store.UpdateOutbox(retry)).code(), Code::kNotFound);
}

TEST_F(FakeCheckoutStoreTest, CompensationsGetIncreasingIdsAndComeDueInOrder) {
  FailedCompensation release;
  release.kind = CompensationKind::kReleaseReservation;
  release.subject = "res-1";
  release.max_attempts = 10;
  release.next_attempt_at = 300;
  FailedCompensation void_auth = release;
  void_auth.kind = CompensationKind::kVoidAuthorization;
  void_auth.subject = "auth-1";
  void_auth.next_attempt_at = 100;
  ASSERT_TRUE(Commit({{}, {}, {release, void_auth}}).ok());
  EXPECT_EQ(store.Compensations().at(1).subject, "res-1");
  EXPECT_EQ(store.Compensations().at(2).subject, "auth-1");

  std::vector<FailedCompensation> due = RunSync(store.DueCompensations(200, 10)).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, 2);

  FailedCompensation done = due[0];
  done.status = CompensationStatus::kDone;
  ASSERT_TRUE(Commit({{}, {}, {done}}).ok());
  due = RunSync(store.DueCompensations(400, 10)).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, 1);
  EXPECT_EQ(store.Compensations().at(2).status, CompensationStatus::kDone);
}

}  // namespace
}  // namespace csim::fakes

namespace csim::fakes {
namespace {

TEST_F(FakeCheckoutStoreTest, RestoreReplacesEverythingWithAnotherDatabasesRows) {
  ASSERT_TRUE(Commit({{{MakeCart("cart-old", 1, 0), 0}}, {MakeEvent("ev-old")}, {}}).ok());
  FailedCompensation pending;
  pending.id = 4;
  pending.subject = "auth-1";
  pending.max_attempts = 3;
  pending.next_attempt_at = 50;
  FailedCompensation done = pending;
  done.id = 6;
  done.status = CompensationStatus::kDone;
  store.Restore({MakeCart("cart-1", 3, 10), MakeCart("cart-2", 1, 20, CartStatus::kCompleted)},
                {OutboxRow{5, MakeEvent("ev-5"), OutboxStatus::kPending, 0, 50, 40}},
                {pending, done});
  EXPECT_EQ(store.Carts().size(), 2u);
  EXPECT_FALSE(store.Carts().contains("cart-old"));
  EXPECT_EQ(RunSync(store.GetCart("cart-1"))->version, 3);
  EXPECT_EQ(RunSync(store.DueOutbox(100, 10))->size(), 1u);
  auto due = RunSync(store.DueCompensations(100, 10));
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u) << "only the pending compensation row is due";
  EXPECT_EQ(due->front().id, 4);
  // The restored version is the one a stale write conflicts with.
  EXPECT_EQ(Commit({{{MakeCart("cart-1", 2, 30), 1}}, {}, {}}).code(), Code::kConflict);
  EXPECT_TRUE(Commit({{{MakeCart("cart-1", 4, 30), 3}}, {}, {}}).ok());
}

// An update that keeps the status leaves the cart where the status index had it; one that changes
// it moves the cart; FindCart gives the stored row as it is now.
TEST_F(FakeCheckoutStoreTest, UpdatesKeepTheStatusIndexAndFindCartCurrent) {
  ASSERT_TRUE(
      Commit({{{MakeCart("cart-1", 1, 0), 0}, {MakeCart("cart-2", 1, 0), 0}}, {}, {}}).ok());
  ASSERT_TRUE(Commit({{{MakeCart("cart-1", 2, 3), 1}}, {}, {}}).ok());  // still active
  ASSERT_TRUE(Commit({{{MakeCart("cart-2", 2, 4, CartStatus::kCheckout), 1}}, {}, {}}).ok());
  const auto active = RunSync(store.FindCarts({CartStatus::kActive, 100, 10})).value();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].id, "cart-1");
  EXPECT_EQ(active[0].version, 2);
  const auto checkout = RunSync(store.FindCarts({CartStatus::kCheckout, 100, 10})).value();
  ASSERT_EQ(checkout.size(), 1u);
  EXPECT_EQ(checkout[0].id, "cart-2");
  ASSERT_NE(store.FindCart("cart-2"), nullptr);
  EXPECT_EQ(store.FindCart("cart-2")->status, CartStatus::kCheckout);
  EXPECT_EQ(store.FindCart("cart-2"), &store.Carts().at("cart-2")) << "the stored row itself";
  EXPECT_EQ(store.FindCart("cart-3"), nullptr);
}

// The expired carts of a status that fits in the limit come from the expiry index: the same rows,
// by id, as the scan gives, after writes that move a cart's expiry or status.
TEST_F(FakeCheckoutStoreTest, FindCartsExpiredByFollowsExpiryAndStatusChanges) {
  CheckoutWrite write;
  for (const char* id : {"cart-4", "cart-2", "cart-3", "cart-1"}) {
    Cart cart = MakeCart(id, 1, 10);
    cart.expires_at = 100;
    write.carts.push_back({cart, 0});
  }
  ASSERT_TRUE(Commit(write).ok());
  Cart later = store.Carts().at("cart-2");
  later.version = 2;
  later.expires_at = 500;  // extended: no longer expired at 100
  Cart done = store.Carts().at("cart-3");
  done.version = 2;
  done.status = CartStatus::kCheckout;  // leaves the active carts
  Cart touched = store.Carts().at("cart-4");
  touched.version = 2;
  touched.updated_at = 60;  // written after the query's updated_before
  ASSERT_TRUE(Commit({{{later, 1}, {done, 1}, {touched, 1}}, {}, {}}).ok());
  auto ids_of = [this](std::int32_t limit, TimeUs expired_by) {
    const std::vector<Cart> found =
        RunSync(store.FindCarts({CartStatus::kActive, 50, limit, expired_by})).value();
    std::vector<std::string> ids;
    for (const Cart& cart : found) ids.push_back(cart.id);
    return ids;
  };
  EXPECT_EQ(ids_of(10, 100), (std::vector<std::string>{"cart-1"}));
  EXPECT_EQ(ids_of(10, 500), (std::vector<std::string>{"cart-1", "cart-2"}));
  EXPECT_EQ(ids_of(2, 500), (std::vector<std::string>{"cart-1", "cart-2"})) << "the scan agrees";
  EXPECT_EQ(ids_of(1, 500), (std::vector<std::string>{"cart-1"})) << "the limit reads cart-1 only";
  const auto checkout = RunSync(store.FindCarts({CartStatus::kCheckout, 50, 10, 100})).value();
  ASSERT_EQ(checkout.size(), 1u);
  EXPECT_EQ(checkout[0].id, "cart-3");
}

}  // namespace
}  // namespace csim::fakes
