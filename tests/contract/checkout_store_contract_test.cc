// The CheckoutStore contract (core/ports/checkout_store.h, outbox.h), against FakeCheckoutStore and
// PgCheckoutStore: one all-or-nothing Commit, the cart's version check, typed conflicts, outbox
// rows stored with the business rows, the compensation table and the queries' order and bounds.
#include <gtest/gtest.h>

#include "tests/contract/envs.h"

namespace csim::contract {
namespace {

Cart MakeCart(std::string id, std::int64_t version = 1, CartStatus status = CartStatus::kActive,
              TimeUs updated_at = kStartUs) {
  Cart cart;
  cart.id = std::move(id);
  cart.session_id = "sess-" + cart.id;
  cart.customer_id = "cust-1";
  cart.guest = false;
  cart.items = {CartItem{"SKU-1", 2, "WH-1"}, CartItem{"SKU-2", 1, std::nullopt}};
  cart.version = version;
  cart.status = status;
  cart.created_at = kStartUs - kHourUs;
  cart.updated_at = updated_at;
  cart.expires_at = kStartUs + kDayUs;
  cart.checkout_started_at = 0;
  cart.checkout_promo_codes = {"SAVE10", "FREESHIP"};
  return cart;
}

Event MakeEvent(std::string id, std::string topic = "cart.converted") {
  return Event{std::move(id), std::move(topic), "cart-1", {{"order_id", "ord-1"}, {"n", "2"}}};
}

FailedCompensation MakeCompensation(TimeUs next_attempt_at,
                                    CompensationStatus status = CompensationStatus::kPending) {
  FailedCompensation row;
  row.kind = CompensationKind::kVoidAuthorization;
  row.subject = "auth-1";
  row.fields = {{"amount", "1000"}};
  row.attempts = 1;
  row.max_attempts = 5;
  row.next_attempt_at = next_attempt_at;
  row.status = status;
  return row;
}

template <class Env>
class CheckoutStoreContract : public ContractTest<Env> {
 protected:
  using ContractTest<Env>::env;
  CheckoutStore& store() { return env.store(); }
  Status Commit(CheckoutWrite write) { return RunSync(store().Commit(write)); }
  std::vector<OutboxRow> Due() { return RunSync(store().DueOutbox(env.clock.Now(), 100)).value(); }
  std::vector<FailedCompensation> DueCompensations() {
    return RunSync(store().DueCompensations(env.clock.Now() + kDayUs, 100)).value();
  }
};

using CheckoutEnvs = ::testing::Types<FakeCheckoutEnv, PgCheckoutEnv>;
TYPED_TEST_SUITE(CheckoutStoreContract, CheckoutEnvs, EnvName);

TYPED_TEST(CheckoutStoreContract, StoresACartAsGiven) {
  Cart cart = MakeCart("cart-1");
  cart.guest = true;
  cart.order_id = "ord-1";
  ASSERT_TRUE(this->Commit({{{cart, 0}}, {}, {}}).ok());
  Result<Cart> stored = RunSync(this->store().GetCart("cart-1"));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored.value(), cart);
  EXPECT_EQ(stored->items[1].warehouse_id, std::nullopt) << "a missing warehouse stays missing";
  EXPECT_EQ(RunSync(this->store().GetCart("cart-2")).code(), Code::kNotFound);
}

TYPED_TEST(CheckoutStoreContract, VersionCheckIsAConflictAndWritesNothing) {
  ASSERT_TRUE(this->Commit({{{MakeCart("cart-1"), 0}}, {}, {}}).ok());
  Cart v2 = MakeCart("cart-1", 2, CartStatus::kCheckout);
  ASSERT_TRUE(this->Commit({{{v2, 1}}, {}, {}}).ok());

  // A second writer that read version 1: its whole write is refused.
  Cart stale = MakeCart("cart-1", 2, CartStatus::kAbandoned);
  const Status conflict = this->Commit({{{stale, 1}}, {MakeEvent("ev-stale")}, {}});
  EXPECT_EQ(conflict.code(), Code::kConflict) << conflict.ToString();
  EXPECT_EQ(RunSync(this->store().GetCart("cart-1")).value(), v2);
  EXPECT_TRUE(this->Due().empty()) << "the refused write's outbox row is not stored";

  EXPECT_EQ(this->Commit({{{MakeCart("cart-9", 3), 2}}, {}, {}}).code(), Code::kNotFound);
  EXPECT_EQ(this->Commit({{{MakeCart("cart-1", 5), 2}}, {}, {}}).code(), Code::kInvalidArgument)
      << "version must be expected_version + 1";
}

TYPED_TEST(CheckoutStoreContract, InsertOfAnExistingCartIsATypedConflict) {
  ASSERT_TRUE(this->Commit({{{MakeCart("cart-1"), 0}}, {}, {}}).ok());
  Cart again = MakeCart("cart-1");
  again.customer_id = "cust-2";
  const Status status = this->Commit({{{again, 0}}, {MakeEvent("ev-1")}, {}});
  EXPECT_EQ(status.code(), Code::kConflict) << status.ToString();
  EXPECT_EQ(RunSync(this->store().GetCart("cart-1"))->customer_id, "cust-1");
  EXPECT_TRUE(this->Due().empty());
}

TYPED_TEST(CheckoutStoreContract, ACommitIsAllOrNothing) {
  ASSERT_TRUE(this->Commit({{{MakeCart("cart-b"), 0}}, {}, {}}).ok());
  // A new cart, an outbox row and a compensation row, then a cart whose version is stale: the
  // failure comes last, after the other rows were written inside the transaction.
  CheckoutWrite write{{{MakeCart("cart-a"), 0}, {MakeCart("cart-b", 3), 2}},
                      {MakeEvent("ev-1")},
                      {MakeCompensation(kStartUs)}};
  EXPECT_EQ(this->Commit(write).code(), Code::kConflict);
  EXPECT_EQ(RunSync(this->store().GetCart("cart-a")).code(), Code::kNotFound);
  EXPECT_TRUE(this->Due().empty());
  EXPECT_TRUE(this->DueCompensations().empty());

  // An unknown compensation id to update or delete fails the whole write too.
  FailedCompensation unknown = MakeCompensation(kStartUs);
  unknown.id = 77;
  EXPECT_EQ(this->Commit({{{MakeCart("cart-a"), 0}}, {MakeEvent("ev-2")}, {unknown}}).code(),
            Code::kNotFound);
  EXPECT_EQ(this->Commit({{{MakeCart("cart-a"), 0}}, {MakeEvent("ev-3")}, {}, {77}}).code(),
            Code::kNotFound);
  EXPECT_EQ(RunSync(this->store().GetCart("cart-a")).code(), Code::kNotFound);
  EXPECT_TRUE(this->Due().empty());
}

TYPED_TEST(CheckoutStoreContract, OutboxRowsAreWrittenWithTheBusinessRowAndPublishedInIdOrder) {
  Cart cart = MakeCart("cart-1");
  ASSERT_TRUE(
      this->Commit({{{cart, 0}}, {MakeEvent("ev-1"), MakeEvent("ev-2", "orders.x")}, {}}).ok());
  const TimeUs committed_at = this->env.clock.Now();
  std::vector<OutboxRow> due = this->Due();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_LT(due[0].id, due[1].id);
  EXPECT_EQ(due[0].event, MakeEvent("ev-1"));
  EXPECT_EQ(due[1].event.topic, "orders.x");
  EXPECT_EQ(due[0].status, OutboxStatus::kPending);
  EXPECT_EQ(due[0].attempts, 0);
  EXPECT_EQ(due[0].created_at, committed_at);
  EXPECT_EQ(due[0].next_attempt_at, committed_at);
  EXPECT_TRUE(RunSync(this->store().DueOutbox(committed_at - 1, 100)).value().empty())
      << "not due before it was written";
  EXPECT_EQ(RunSync(this->store().DueOutbox(committed_at, 1)).value().size(), 1u) << "limit";

  OutboxRow failed = due[0];
  failed.status = OutboxStatus::kFailed;
  failed.attempts = 10;
  ASSERT_TRUE(RunSync(this->store().UpdateOutbox(failed)).ok());
  OutboxRow later = due[1];
  later.attempts = 1;
  later.next_attempt_at = committed_at + kSecondUs;
  ASSERT_TRUE(RunSync(this->store().UpdateOutbox(later)).ok());
  EXPECT_TRUE(this->Due().empty());
  std::vector<OutboxRow> retried =
      RunSync(this->store().DueOutbox(committed_at + kSecondUs, 100)).value();
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0], later);
  std::vector<OutboxRow> failed_rows = RunSync(this->store().FailedOutbox(100)).value();
  ASSERT_EQ(failed_rows.size(), 1u);
  EXPECT_EQ(failed_rows[0], failed);

  // A row awaiting its redrive (SIM-32) is neither due for the publisher nor failed; DueRedrives
  // returns it once its next_attempt_at has come, and not after it is published.
  OutboxRow awaiting = later;
  awaiting.status = OutboxStatus::kAwaitingRedrive;
  awaiting.next_attempt_at = committed_at + 2 * kSecondUs;
  ASSERT_TRUE(RunSync(this->store().UpdateOutbox(awaiting)).ok());
  EXPECT_TRUE(RunSync(this->store().DueOutbox(committed_at + kHourUs, 100)).value().empty());
  EXPECT_EQ(RunSync(this->store().FailedOutbox(100)).value().size(), 1u);
  EXPECT_TRUE(
      RunSync(this->store().DueRedrives(committed_at + 2 * kSecondUs - 1, 100)).value().empty());
  std::vector<OutboxRow> redrives =
      RunSync(this->store().DueRedrives(committed_at + 2 * kSecondUs, 100)).value();
  ASSERT_EQ(redrives.size(), 1u);
  EXPECT_EQ(redrives[0], awaiting);
  EXPECT_EQ(RunSync(this->store().DueRedrives(committed_at, 0)).code(), Code::kInvalidArgument);
  awaiting.status = OutboxStatus::kPublished;
  ASSERT_TRUE(RunSync(this->store().UpdateOutbox(awaiting)).ok());
  EXPECT_TRUE(RunSync(this->store().DueRedrives(committed_at + kHourUs, 100)).value().empty());

  OutboxRow unknown = due[0];
  unknown.id = 99'999;
  EXPECT_EQ(RunSync(this->store().UpdateOutbox(unknown)).code(), Code::kNotFound);
  EXPECT_EQ(RunSync(this->store().DueOutbox(committed_at, 0)).code(), Code::kInvalidArgument);
}

// PendingOutbox (SIM-37's OutboxLagMonitor): the pending rows written at or before a time, oldest
// first, whether or not they are due; a failed row is not pending. Both services' stores share
// the outbox table's code (fakes/outbox_rows.h, adapters/pg_outbox.h).
TYPED_TEST(CheckoutStoreContract, PendingOutboxListsTheRowsStillWaitingOldestFirst) {
  ASSERT_TRUE(
      this->Commit({{{MakeCart("cart-1"), 0}}, {MakeEvent("ev-1"), MakeEvent("ev-2")}, {}}).ok());
  const TimeUs first_at = this->env.clock.Now();
  this->env.clock.Advance(kMinuteUs);
  ASSERT_TRUE(this->Commit({{{MakeCart("cart-2"), 0}}, {MakeEvent("ev-3")}, {}}).ok());
  const TimeUs second_at = this->env.clock.Now();
  std::vector<OutboxRow> rows = this->Due();
  ASSERT_EQ(rows.size(), 3u);
  OutboxRow waiting = rows[0];  // in its backoff: pending, not due
  waiting.attempts = 1;
  waiting.next_attempt_at = second_at + kHourUs;
  ASSERT_TRUE(RunSync(this->store().UpdateOutbox(waiting)).ok());
  OutboxRow failed = rows[1];
  failed.status = OutboxStatus::kFailed;
  ASSERT_TRUE(RunSync(this->store().UpdateOutbox(failed)).ok());

  EXPECT_TRUE(RunSync(this->store().PendingOutbox(first_at - 1, 100)).value().empty());
  std::vector<OutboxRow> pending = RunSync(this->store().PendingOutbox(first_at, 100)).value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0], waiting);
  pending = RunSync(this->store().PendingOutbox(second_at, 100)).value();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].event.id, "ev-1");
  EXPECT_EQ(pending[1].event.id, "ev-3");
  EXPECT_EQ(pending[1].created_at, second_at);
  EXPECT_EQ(RunSync(this->store().PendingOutbox(second_at, 1)).value().size(), 1u) << "limit";
  EXPECT_EQ(RunSync(this->store().PendingOutbox(second_at, 0)).code(), Code::kInvalidArgument);
}

TYPED_TEST(CheckoutStoreContract, CompensationRowsAreInsertedUpdatedAndDeleted) {
  ASSERT_TRUE(this->Commit({{},
                            {},
                            {MakeCompensation(kStartUs), MakeCompensation(kStartUs + kHourUs),
                             MakeCompensation(kStartUs, CompensationStatus::kDone)}})
                  .ok());
  std::vector<FailedCompensation> due =
      RunSync(this->store().DueCompensations(kStartUs, 100)).value();
  ASSERT_EQ(due.size(), 1u) << "pending and due only";
  const std::int64_t first = due[0].id;
  EXPECT_GT(first, 0);
  EXPECT_EQ(due[0].fields, (std::map<std::string, std::string>{{"amount", "1000"}}));
  std::vector<FailedCompensation> all_pending = this->DueCompensations();
  ASSERT_EQ(all_pending.size(), 2u);
  EXPECT_LT(all_pending[0].id, all_pending[1].id);

  FailedCompensation done = due[0];
  done.status = CompensationStatus::kExhausted;
  done.attempts = 5;
  done.alert_sent = true;
  ASSERT_TRUE(this->Commit({{}, {}, {done}}).ok());
  std::vector<FailedCompensation> finished =
      RunSync(this->store().FinishedCompensations(kStartUs + 1, 100)).value();
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_EQ(finished[0], done);
  EXPECT_TRUE(RunSync(this->store().FinishedCompensations(kStartUs, 100)).value().empty())
      << "touched_before is strict";

  ASSERT_TRUE(this->Commit({{}, {}, {}, {finished[0].id, finished[1].id}}).ok());
  EXPECT_TRUE(RunSync(this->store().FinishedCompensations(kStartUs + 1, 100)).value().empty());
  EXPECT_EQ(this->DueCompensations().size(), 1u);
  EXPECT_EQ(this->Commit({{}, {}, {}, {finished[0].id}}).code(), Code::kNotFound)
      << "a deleted row is gone";
}

TYPED_TEST(CheckoutStoreContract, FindCartsFiltersAndSortsByIdBytes) {
  // Byte order: "Cart-Z" < "cart-10" < "cart-9" (a locale collation would sort otherwise).
  for (const char* id : {"cart-9", "cart-10", "Cart-Z"}) {
    ASSERT_TRUE(
        this->Commit({{{MakeCart(id, 1, CartStatus::kCheckout, kStartUs - 10), 0}}, {}, {}}).ok());
  }
  ASSERT_TRUE(
      this->Commit({{{MakeCart("cart-new", 1, CartStatus::kCheckout, kStartUs), 0}}, {}, {}}).ok());
  ASSERT_TRUE(this->Commit({{{MakeCart("cart-act", 1, CartStatus::kActive, 0), 0}}, {}, {}}).ok());

  std::vector<Cart> found =
      RunSync(this->store().FindCarts({CartStatus::kCheckout, kStartUs, 100})).value();
  std::vector<std::string> ids;
  for (const Cart& cart : found) ids.push_back(cart.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"Cart-Z", "cart-10", "cart-9"}));
  EXPECT_EQ(RunSync(this->store().FindCarts({CartStatus::kCheckout, kStartUs, 2})).value().size(),
            2u);
  EXPECT_EQ(RunSync(this->store().FindCarts({CartStatus::kCheckout, kStartUs, 0})).code(),
            Code::kInvalidArgument);
}

TYPED_TEST(CheckoutStoreContract, FindCartsExpiredByFiltersTheRowsTheLimitSelected) {
  // cart-1 and cart-3 expired at kStartUs, cart-2 and cart-4 a day later.
  for (int n = 1; n <= 4; ++n) {
    Cart cart = MakeCart("cart-" + std::to_string(n), 1, CartStatus::kActive, kStartUs - 10);
    if (n % 2 == 1) cart.expires_at = kStartUs;
    ASSERT_TRUE(this->Commit({{{cart, 0}}, {}, {}}).ok());
  }
  auto ids_of = [this](std::int32_t limit, std::optional<TimeUs> expired_by) {
    const std::vector<Cart> found =
        RunSync(this->store().FindCarts({CartStatus::kActive, kStartUs, limit, expired_by}))
            .value();
    std::vector<std::string> ids;
    for (const Cart& cart : found) ids.push_back(cart.id);
    return ids;
  };
  EXPECT_EQ(ids_of(100, kStartUs), (std::vector<std::string>{"cart-1", "cart-3"}));
  EXPECT_EQ(ids_of(2, kStartUs), (std::vector<std::string>{"cart-1"}))
      << "the limit counts the rows read, expired or not";
  EXPECT_EQ(ids_of(100, kStartUs - 1), (std::vector<std::string>{})) << "expires_at <= expired_by";
  EXPECT_EQ(ids_of(3, std::nullopt), (std::vector<std::string>{"cart-1", "cart-2", "cart-3"}));
}

TYPED_TEST(CheckoutStoreContract, RefusesTextTheDatabaseCannotStore) {
  // PostgreSQL's text and jsonb hold valid UTF-8 without NUL bytes; what they refuse, the store
  // refuses whole, as an invalid argument (never stored cut at the NUL).
  Cart nul = MakeCart("cart-1");
  nul.customer_id = std::string{"cust\0-1", 7};
  EXPECT_EQ(this->Commit({{{nul, 0}}, {}, {}}).code(), Code::kInvalidArgument);
  Cart latin1 = MakeCart("cart-1");
  latin1.items[0].sku = "SKU-\xe9";
  EXPECT_EQ(this->Commit({{{latin1, 0}}, {}, {}}).code(), Code::kInvalidArgument);
  Event bad_field = MakeEvent("ev-1");
  bad_field.fields["note"] = "\xff\xfe";
  EXPECT_EQ(this->Commit({{{MakeCart("cart-1"), 0}}, {bad_field}, {}}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(RunSync(this->store().GetCart("cart-1")).code(), Code::kNotFound);
  EXPECT_TRUE(this->Due().empty());

  Cart utf8 = MakeCart("cart-1");
  utf8.customer_id =
      "kh\xc3\xa1"
      "ch-h\xc3\xa0ng";  // "khách-hàng": valid UTF-8 is stored
  ASSERT_TRUE(this->Commit({{{utf8, 0}}, {}, {}}).ok());
  EXPECT_EQ(RunSync(this->store().GetCart("cart-1"))->customer_id, utf8.customer_id);
}

}  // namespace
}  // namespace csim::contract
