#include "fakes/fake_payment.h"

#include <utility>

#include "core/check.h"
#include "fakes/deferred.h"

namespace csim::fakes {

std::string_view Name(AuthStatus status) {
  switch (status) {
    case AuthStatus::kAuthorized:
      return "authorized";
    case AuthStatus::kCaptured:
      return "captured";
    case AuthStatus::kVoided:
      return "voided";
    case AuthStatus::kLapsed:
      return "lapsed";
  }
  return "?";
}

FakePaymentGateway::FakePaymentGateway(const Clock& clock, DurationUs lapse_after_us)
    : clock_(clock), lapse_after_us_(lapse_after_us) {
  CSIM_CHECK(lapse_after_us > 0, "an authorization lapses after a positive delay");
}

// ---- Port ----

Task<Result<std::string>> FakePaymentGateway::Authorize(const std::string& idempotency_key,
                                                        const std::string& customer_id,
                                                        Money amount) {
  return Deferred<Result<std::string>>([this, idempotency_key, customer_id, amount] {
    return AuthorizeNow(idempotency_key, customer_id, amount);
  });
}

Task<Result<std::string>> FakePaymentGateway::LookupAuthorization(
    const std::string& idempotency_key) {
  return Deferred<Result<std::string>>([this, idempotency_key]() -> Result<std::string> {
    const std::size_t* index = by_key_.Find(idempotency_key);
    if (index == nullptr) return Status{Code::kNotFound, "no authorization with that key"};
    CSIM_CHECK(*index < authorizations_.size());
    return authorizations_[*index].id;
  });
}

Task<Status> FakePaymentGateway::Void(const std::string& authorization_id) {
  return Deferred<Status>([this, authorization_id] { return VoidNow(authorization_id); });
}

Task<Status> FakePaymentGateway::Capture(const std::string& authorization_id,
                                         const std::string& order_id, Money amount) {
  return Deferred<Status>([this, authorization_id, order_id, amount] {
    return CaptureNow(authorization_id, order_id, amount);
  });
}

Task<Status> FakePaymentGateway::Refund(const std::string& authorization_id,
                                        const std::string& order_id, Money amount) {
  return Deferred<Status>([this, authorization_id, order_id, amount] {
    return RefundNow(authorization_id, order_id, amount);
  });
}

Result<std::string> FakePaymentGateway::AuthorizeNow(const std::string& idempotency_key,
                                                     const std::string& customer_id, Money amount) {
  if (idempotency_key.empty()) return Status{Code::kInvalidArgument, "empty idempotency key"};
  if (amount <= 0) return Status{Code::kInvalidArgument, "amount must be positive"};
  if (amount > kAmountMax) return Status{Code::kInvalidArgument, "amount too large"};
  if (const std::size_t* found = by_key_.Find(idempotency_key); found != nullptr) {
    return authorizations_[*found].id;  // a retry: the same hold, never a second one
  }
  if (declined_authorizations_.contains(customer_id)) {
    return Status{Code::kRejected, "card declined"};
  }
  CSIM_CHECK(authorizations_.size() < kAuthorizationsMax, "kAuthorizationsMax");
  const std::size_t index = authorizations_.size();
  Authorization authorization;
  authorization.id = "auth-" + std::to_string(index + 1);
  authorization.idempotency_key = idempotency_key;
  authorization.customer_id = customer_id;
  authorization.amount = amount;
  authorization.created_at = clock_.Now();
  by_id_[authorization.id] = index;
  by_key_[idempotency_key] = index;
  authorizations_.push_back(std::move(authorization));
  CSIM_CHECK(by_id_.size() == authorizations_.size());
  return authorizations_.back().id;
}

Status FakePaymentGateway::VoidNow(const std::string& authorization_id) {
  Authorization* authorization = Find(authorization_id);
  if (authorization == nullptr) {
    return Status{Code::kNotFound, "unknown authorization " + authorization_id};
  }
  switch (StatusAt(*authorization, clock_.Now())) {
    case AuthStatus::kCaptured:
      return Status{Code::kFailedPrecondition, "authorization captured: refund instead"};
    case AuthStatus::kVoided:
    case AuthStatus::kLapsed:
      return Status::Ok();
    case AuthStatus::kAuthorized:
      break;
  }
  CSIM_CHECK(authorization->captured == 0, "an authorized hold has captured nothing");
  authorization->status = AuthStatus::kVoided;
  CSIM_CHECK(authorization->order_id.empty(), "a voided hold belongs to no order");
  return Status::Ok();
}

Status FakePaymentGateway::CaptureNow(const std::string& authorization_id,
                                      const std::string& order_id, Money amount) {
  if (order_id.empty()) return Status{Code::kInvalidArgument, "capture needs an order id"};
  if (amount <= 0) return Status{Code::kInvalidArgument, "amount must be positive"};
  Authorization* authorization = Find(authorization_id);
  if (authorization == nullptr) {
    return Status{Code::kNotFound, "unknown authorization " + authorization_id};
  }
  switch (StatusAt(*authorization, clock_.Now())) {
    case AuthStatus::kCaptured:
      if (authorization->order_id == order_id) return Status::Ok();  // a retry: no new webhook
      return Fail(authorization_id, order_id, Code::kFailedPrecondition,
                  "authorization captured for another order");
    case AuthStatus::kVoided:
      return Fail(authorization_id, order_id, Code::kFailedPrecondition, "authorization voided");
    case AuthStatus::kLapsed:
      return Fail(authorization_id, order_id, Code::kFailedPrecondition, "authorization lapsed");
    case AuthStatus::kAuthorized:
      break;
  }
  if (amount > authorization->amount) {
    return Status{Code::kInvalidArgument, "capture above the authorized amount"};
  }
  if (declined_captures_.contains(authorization->customer_id)) {
    return Fail(authorization_id, order_id, Code::kRejected, "capture declined");
  }
  if (never_approving_.contains(authorization->customer_id)) {
    ++captures_left_waiting_;
    CSIM_CHECK(authorization->status == AuthStatus::kAuthorized, "a waiting capture moves nothing");
    return Status::Ok();  // accepted; the customer's approval never comes
  }
  CSIM_CHECK(authorization->order_id.empty(), "an authorization is captured once");
  authorization->status = AuthStatus::kCaptured;
  authorization->order_id = order_id;
  authorization->captured = amount;
  OrderMoney& money = OrderFor(order_id);
  CSIM_CHECK(!money.cash_on_delivery, "a card capture for a cash-on-delivery order");
  money.captured += amount;
  money.capture_count++;
  total_captured_ += amount;
  QueueWebhook("payments.payment.confirmed", order_id,
               {{"order_id", order_id},
                {"authorization_id", authorization_id},
                {"amount", std::to_string(amount)}});
  CheckTotals();
  return Status::Ok();
}

Status FakePaymentGateway::RefundNow(const std::string& authorization_id,
                                     const std::string& order_id, Money amount) {
  if (order_id.empty()) return Status{Code::kInvalidArgument, "refund needs an order id"};
  if (amount <= 0) return Status{Code::kInvalidArgument, "amount must be positive"};
  if (authorization_id.empty()) return RefundCashNow(order_id, amount);
  Authorization* authorization = Find(authorization_id);
  if (authorization == nullptr) {
    return Status{Code::kNotFound, "unknown authorization " + authorization_id};
  }
  if (const OrderMoney* refunded = FindOrderMoney(order_id);
      refunded != nullptr && refunded->refund_count > 0) {
    return Status::Ok();  // one refund per order: a retry refunds nothing more
  }
  if (StatusAt(*authorization, clock_.Now()) != AuthStatus::kCaptured ||
      authorization->order_id != order_id) {
    return Status{Code::kFailedPrecondition, "nothing captured for order " + order_id};
  }
  if (amount > authorization->captured - authorization->refunded) {
    return Status{Code::kInvalidArgument, "refund above the captured amount"};
  }
  authorization->refunded += amount;
  OrderMoney& money = OrderFor(order_id);
  money.refunded += amount;
  money.refund_count++;
  CSIM_CHECK(money.refund_count == 1, "one refund per order");
  CSIM_CHECK(authorization->refunded <= authorization->captured, "refunded above the capture");
  total_refunded_ += amount;
  QueueWebhook("payments.refund.completed", order_id,
               {{"order_id", order_id},
                {"authorization_id", authorization_id},
                {"amount", std::to_string(amount)}});
  CheckTotals();
  return Status::Ok();
}

Status FakePaymentGateway::RefundCashNow(const std::string& order_id, Money amount) {
  auto* entry = money_index_.Find(order_id);
  if (entry == nullptr || !entry->second.cash_on_delivery) {
    return Status{Code::kNotFound, "no cash collected for order " + order_id};
  }
  OrderMoney& money = entry->second;
  if (money.refund_count > 0) return Status::Ok();
  money_changes_.Note(&entry->first);
  if (amount > money.captured - money.refunded) {
    return Status{Code::kInvalidArgument, "refund above the collected amount"};
  }
  money.refunded += amount;
  money.refund_count++;
  total_refunded_ += amount;
  CSIM_CHECK(money.refunded <= money.captured, "refunded above the collected cash");
  QueueWebhook(
      "payments.refund.completed", order_id,
      {{"order_id", order_id}, {"authorization_id", ""}, {"amount", std::to_string(amount)}});
  CheckTotals();
  return Status::Ok();
}

// ---- World controls ----

void FakePaymentGateway::DeclineAuthorizations(const std::string& customer_id) {
  declined_authorizations_.insert(customer_id);
}

void FakePaymentGateway::DeclineCaptures(const std::string& customer_id) {
  CSIM_CHECK(!customer_id.empty(), "a customer is named");
  declined_captures_.insert(customer_id);
  CSIM_CHECK(!declined_captures_.empty());
}

void FakePaymentGateway::AwaitCustomerForever(const std::string& customer_id) {
  CSIM_CHECK(!customer_id.empty(), "a customer is named");
  never_approving_.insert(customer_id);
  CSIM_CHECK(never_approving_.contains(customer_id));
}

void FakePaymentGateway::RecordCashCollected(const std::string& order_id, Money amount) {
  CSIM_CHECK(!order_id.empty(), "cash is collected for an order");
  CSIM_CHECK(amount > 0, "collected cash is positive");
  CSIM_CHECK(amount <= kAmountMax);
  OrderMoney& money = OrderFor(order_id);
  if (money.cash_on_delivery) return;  // collected once per order
  money.cash_on_delivery = true;
  money.captured += amount;
  money.capture_count++;
  total_captured_ += amount;
  CheckTotals();
}

std::vector<Event> FakePaymentGateway::TakeWebhooks() {
  std::vector<Event> taken = std::move(webhooks_);
  webhooks_.clear();
  CSIM_CHECK(taken.size() <= kWebhooksQueuedMax);
  CSIM_CHECK(static_cast<std::int64_t>(taken.size()) <= webhook_counter_,
             "every webhook was counted when queued");
  return taken;
}

// ---- Truth ----

AuthStatus FakePaymentGateway::StatusAt(const Authorization& authorization, TimeUs now) const {
  CSIM_CHECK(authorization.status != AuthStatus::kLapsed, "a lapse is computed, never stored");
  if (authorization.status == AuthStatus::kAuthorized &&
      now >= authorization.created_at + lapse_after_us_) {
    return AuthStatus::kLapsed;
  }
  return authorization.status;
}

std::vector<Authorization> FakePaymentGateway::Authorizations() const {
  const TimeUs now = clock_.Now();
  std::vector<Authorization> views = authorizations_;
  for (Authorization& view : views) view.status = StatusAt(view, now);
  return views;
}

std::optional<Authorization> FakePaymentGateway::FindAuthorization(
    const std::string& authorization_id) const {
  const std::size_t* index = by_id_.Find(authorization_id);
  if (index == nullptr) return std::nullopt;
  Authorization view = authorizations_[*index];
  view.status = StatusAt(view, clock_.Now());
  return view;
}

// ---- Bookkeeping ----

Authorization* FakePaymentGateway::Find(const std::string& authorization_id) {
  const std::size_t* index = by_id_.Find(authorization_id);
  if (index == nullptr) return nullptr;
  CSIM_CHECK(*index < authorizations_.size());
  return &authorizations_[*index];
}

OrderMoney& FakePaymentGateway::OrderFor(const std::string& order_id) {
  auto* entry = money_index_.Find(order_id);
  if (entry == nullptr) {
    auto [it, inserted] = orders_.try_emplace(order_id);
    CSIM_CHECK(inserted, "an order the key index lacks is not in orders_");
    entry = &*it;
    money_index_.Add(*entry);
  }
  CSIM_CHECK(orders_.size() <= kOrdersMax, "kOrdersMax");
  CSIM_CHECK(money_index_.size() == orders_.size(), "the key index holds every order");
  money_changes_.Note(&entry->first);  // every caller changes it (or finds it already collected)
  return entry->second;
}

Status FakePaymentGateway::Fail(const std::string& authorization_id, const std::string& order_id,
                                Code code, const std::string& reason) {
  QueueWebhook(
      "payments.payment.failed", order_id,
      {{"order_id", order_id}, {"authorization_id", authorization_id}, {"reason", reason}});
  return Status{code, reason};
}

void FakePaymentGateway::QueueWebhook(const std::string& topic, const std::string& order_id,
                                      std::map<std::string, std::string> fields) {
  CSIM_CHECK(webhooks_.size() < kWebhooksQueuedMax, "kWebhooksQueuedMax: drain TakeWebhooks");
  CSIM_CHECK(!topic.empty(), "a webhook has a topic");
  CSIM_CHECK(!order_id.empty(), "a webhook names its order");
  webhook_counter_++;
  webhooks_.push_back(
      Event{"wh-" + std::to_string(webhook_counter_), topic, order_id, std::move(fields)});
}

void FakePaymentGateway::CheckTotals() const {
  CSIM_CHECK(total_refunded_ >= 0);
  CSIM_CHECK(orders_.size() <= kOrdersMax, "kOrdersMax");
  CSIM_CHECK(total_captured_ >= total_refunded_, "refunded more than captured");
}

}  // namespace csim::fakes
