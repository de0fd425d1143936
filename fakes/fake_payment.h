#pragma once
// FakePaymentGateway: authorizations held on a card, voided, captured for an order, refunded once
// per order, and lapsing by themselves `lapse_after_us` after creation if neither captured nor
// voided (status computed when read, so views report a lapse as soon as it happened). Outcomes of
// captures and refunds are queued as webhooks (payments.payment.confirmed / .failed,
// payments.refund.completed) that the simulator drains with TakeWebhooks and publishes, possibly
// late, duplicated or reordered.
//
// Cash on delivery has no authorization: RecordCashCollected (a truth-side control the simulator
// calls at delivery) counts the collected cash as captured money of the order, and Refund with an
// empty authorization id refunds it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/ports/clock.h"
#include "core/ports/payment.h"
#include "fakes/change_journal.h"
#include "fakes/flat_string_map.h"
#include "fakes/key_index.h"

namespace csim::fakes {

enum class AuthStatus { kAuthorized, kCaptured, kVoided, kLapsed };
std::string_view Name(AuthStatus status);

struct Authorization {
  std::string id;  // "auth-1", ...
  std::string idempotency_key;
  std::string customer_id;
  Money amount = 0;  // held
  TimeUs created_at = 0;
  AuthStatus status = AuthStatus::kAuthorized;  // as stored; never kLapsed (see StatusAt)
  std::string order_id;                         // set by the capture
  Money captured = 0;
  Money refunded = 0;
  bool operator==(const Authorization&) const = default;
};

// The money of one order as the gateway saw it (card captures and cash collected).
struct OrderMoney {
  Money captured = 0;
  Money refunded = 0;
  std::int32_t capture_count = 0;  // > 1: captured twice (through two authorizations)
  std::int32_t refund_count = 0;   // > 1 never happens: one refund per order
  bool cash_on_delivery = false;
  bool operator==(const OrderMoney&) const = default;
};

class FakePaymentGateway final : public PaymentGateway {
 public:
  static constexpr DurationUs kDefaultLapseAfterUs = 7 * kDayUs;
  static constexpr std::size_t kAuthorizationsMax = 1'000'000;
  static constexpr std::size_t kOrdersMax = 1'000'000;
  static constexpr std::size_t kWebhooksQueuedMax = 1'000'000;
  static constexpr Money kAmountMax = Money{1'000'000'000'000'000} / 1'000;  // 10^13 VND

  explicit FakePaymentGateway(const Clock& clock, DurationUs lapse_after_us = kDefaultLapseAfterUs);

  // kInvalidArgument for amount <= 0 or an empty key; kRejected for a declined customer. The
  // same key returns the same authorization.
  Task<Result<std::string>> Authorize(const std::string& idempotency_key,
                                      const std::string& customer_id, Money amount) override;
  // See the port.
  Task<Result<std::string>> LookupAuthorization(const std::string& idempotency_key) override;
  // kNotFound if unknown; Ok if authorized (now voided), voided or lapsed; kFailedPrecondition if
  // captured.
  Task<Status> Void(const std::string& authorization_id) override;
  // See the port. Also queues payments.payment.failed on kFailedPrecondition (voided/lapsed) and
  // on kRejected (DeclineCaptures); kInvalidArgument (no webhook) for amount outside
  // (0, authorized] or an empty order id.
  Task<Status> Capture(const std::string& authorization_id, const std::string& order_id,
                       Money amount) override;
  // One refund per order (a repeat is Ok and refunds nothing); kFailedPrecondition unless the
  // authorization was captured for `order_id`; kInvalidArgument unless 0 < amount <= captured -
  // refunded. Queues payments.refund.completed.
  Task<Status> Refund(const std::string& authorization_id, const std::string& order_id,
                      Money amount) override;

  // ---- World controls ----
  void DeclineAuthorizations(const std::string& customer_id);
  void DeclineCaptures(const std::string& customer_id);
  // The customer is asked to approve the payment (a bank app, a 3-D Secure step-up) and never
  // does: Capture of their authorizations returns Ok (accepted, waiting on the customer) but
  // nothing is captured and no webhook is ever sent, as a real gateway sends no notification for
  // a payment left pending. The hold stays until voided or lapsed.
  void AwaitCustomerForever(const std::string& customer_id);
  // Cash collected at delivery of a COD order. Idempotent per order (a repeat is ignored).
  void RecordCashCollected(const std::string& order_id, Money amount);
  // Drains the queued webhooks in the order they happened.
  std::vector<Event> TakeWebhooks();

  // ---- Truth ----
  AuthStatus StatusAt(const Authorization& authorization, TimeUs now) const;
  // Every authorization by id number, with its status at the clock's now (lapses included).
  std::vector<Authorization> Authorizations() const;
  // One authorization with its status at the clock's now; nullopt if unknown.
  std::optional<Authorization> FindAuthorization(const std::string& authorization_id) const;
  const std::map<std::string, OrderMoney>& Orders() const { return orders_; }
  // The money of this order (in Orders()), or nullptr: a hash lookup, not a search of the tree.
  const OrderMoney* FindOrderMoney(std::string_view order_id) const {
    const auto* entry = money_index_.Find(order_id);
    return entry == nullptr ? nullptr : &entry->second;
  }
  // The order id (the key in Orders()) of every change to an order's money.
  const ChangeJournal<const std::string*>& OrderMoneyChanges() const { return money_changes_; }
  Money TotalCaptured() const { return total_captured_; }  // card captures + cash collected
  Money TotalRefunded() const { return total_refunded_; }
  std::size_t QueuedWebhookCount() const { return webhooks_.size(); }
  std::int64_t WebhooksIssued() const { return webhook_counter_; }
  // Captures accepted and left waiting on a customer who never approves (AwaitCustomerForever).
  std::int64_t CapturesLeftWaiting() const { return captures_left_waiting_; }

 private:
  Result<std::string> AuthorizeNow(const std::string& idempotency_key,
                                   const std::string& customer_id, Money amount);
  Status VoidNow(const std::string& authorization_id);
  Status CaptureNow(const std::string& authorization_id, const std::string& order_id, Money amount);
  Status RefundNow(const std::string& authorization_id, const std::string& order_id, Money amount);
  Status RefundCashNow(const std::string& order_id, Money amount);

  Authorization* Find(const std::string& authorization_id);
  OrderMoney& OrderFor(const std::string& order_id);
  Status Fail(const std::string& authorization_id, const std::string& order_id, Code code,
              const std::string& reason);
  void QueueWebhook(const std::string& topic, const std::string& order_id,
                    std::map<std::string, std::string> fields);
  void CheckTotals() const;

  const Clock& clock_;
  const DurationUs lapse_after_us_;
  std::vector<Authorization> authorizations_;  // index = number - 1
  // Looked up only, never iterated: hash maps (a search of a big std::map misses the cache at each
  // level of its tree).
  FlatStringMap<std::size_t> by_id_;
  FlatStringMap<std::size_t> by_key_;
  std::map<std::string, OrderMoney> orders_;
  KeyIndex<std::map<std::string, OrderMoney>> money_index_;  // every row of orders_
  ChangeJournal<const std::string*> money_changes_;
  std::set<std::string> declined_authorizations_;
  std::set<std::string> declined_captures_;
  std::set<std::string> never_approving_;  // customers whose captures wait forever
  std::vector<Event> webhooks_;
  std::int64_t webhook_counter_ = 0;
  std::int64_t captures_left_waiting_ = 0;
  Money total_captured_ = 0;
  Money total_refunded_ = 0;
};

}  // namespace csim::fakes
