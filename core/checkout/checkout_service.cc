#include "core/checkout/checkout_service.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/checkout/checkout_transitions.h"
#include "core/order/transitions.h"
#include "core/topics.h"

namespace csim {

std::string IdempotencyLockKey(const Cart& cart) {
  return "checkout:lock:" + cart.session_id + ":" + cart.customer_id + ":v" +
         std::to_string(cart.version);
}
std::string IdempotencyResultKey(const std::string& session_id) {
  return "checkout:result:" + session_id;
}
std::string CouponLockKey(const std::string& code) {
  return "coupon:" + code;
}
CheckoutWrite CompleteCartWrite(const Cart& cart, const Order& order, TimeUs now) {
  CSIM_CHECK(cart.status != CartStatus::kCompleted, "completing a completed cart");
  CSIM_CHECK(!order.id.empty(), "an order has an id");
  Cart completed = cart;
  completed.version = cart.version + 1;
  completed.status = CartStatus::kCompleted;
  completed.order_id = order.id;
  completed.updated_at = now;
  CheckoutWrite write;
  write.carts.push_back(CartWrite{std::move(completed), cart.version});
  Event converted;
  converted.id = cart.id + ":converted";
  converted.topic = std::string{topics::kCartConverted};
  converted.subject = cart.id;
  converted.fields = {{"cart_id", cart.id},
                      {"order_id", order.id},
                      {"items_count", std::to_string(cart.items.size())},
                      {"cart_total", std::to_string(order.total)}};
  write.outbox.push_back(std::move(converted));
  // A cancelled or refunded order has nothing left to capture.
  if (order.payment_method == PaymentMethod::kCard && IsLive(order.status)) {
    Event capture;
    capture.id = order.id + ":capture_requested";
    capture.topic = std::string{topics::kPaymentCaptureRequested};
    capture.subject = order.id;
    capture.fields = {{"order_id", order.id},
                      {"authorization_id", order.authorization_id},
                      {"amount", std::to_string(order.total)}};
    write.outbox.push_back(std::move(capture));
  }
  return write;
}

std::string AuthorizationKey(const std::string& attempt) {
  CSIM_CHECK(!attempt.empty(), "an attempt has a key");
  return "auth:" + attempt;
}

FailedCompensation ReleaseByReferenceRow(const ReserveRequest& request, std::int32_t max_attempts,
                                         TimeUs now) {
  CSIM_CHECK(!request.reference.empty() && request.quantity > 0 && request.ttl_us > 0,
             "a valid reserve request");
  CSIM_CHECK(max_attempts > 0, "a compensation has a retry budget");
  FailedCompensation c;
  c.kind = CompensationKind::kReleaseReservationByReference;
  c.subject = request.reference;
  c.max_attempts = max_attempts;
  c.next_attempt_at = now;
  c.fields["sku"] = request.sku;
  c.fields["warehouse_id"] = request.warehouse_id;
  c.fields["quantity"] = std::to_string(request.quantity);
  c.fields["ttl_us"] = std::to_string(request.ttl_us);
  return c;
}

std::string CheckoutAttempt(const Cart& cart) {
  return CheckoutAttemptKey(cart.session_id, cart.version);
}

std::string CheckoutAttemptKey(const std::string& session_id, std::int64_t cart_version) {
  CSIM_CHECK(!session_id.empty(), "an attempt belongs to a session");
  CSIM_CHECK(cart_version >= 1, "a stored cart has a version");
  return session_id + ":v" + std::to_string(cart_version);
}

std::string AttemptInProgress(const Cart& cart) {
  CSIM_CHECK(cart.status == CartStatus::kCheckout, "only a checkout cart has an attempt running");
  CSIM_CHECK(cart.version >= 2, "StartSession bumped the version of a created cart");
  return cart.session_id + ":v" + std::to_string(cart.version - 1);
}

namespace {

constexpr std::int32_t kCartItemsMax = 100;
constexpr std::int32_t kItemQuantityMax = 1000;
constexpr std::int32_t kAuthorizeAttemptsMax = 3;
constexpr std::int32_t kOrderLookupAttemptsMax = 3;
constexpr std::int32_t kReserveLookupAttemptsMax = 3;

Status Fail(Code code, std::string message) {
  return Status{code, std::move(message)};
}

Money PointsValue(std::int64_t points) {
  return points * kVnd;
}  // 1 point = 1 VND

FailedCompensation Compensation(CompensationKind kind, std::string subject, std::int32_t max,
                                TimeUs now) {
  FailedCompensation c;
  c.kind = kind;
  c.subject = std::move(subject);
  c.max_attempts = max;
  c.next_attempt_at = now;
  return c;
}

}  // namespace

Task<Status> CheckoutService::CreateCart(const std::string& cart_id, const std::string& session_id,
                                         const std::string& customer_id, bool guest) {
  CSIM_CHECK(!cart_id.empty());
  CSIM_CHECK(!session_id.empty());
  const TimeUs now = ports_.clock.Now();
  Cart cart;
  cart.id = cart_id;
  cart.session_id = session_id;
  cart.customer_id = customer_id;
  cart.guest = guest;
  cart.version = 1;
  cart.created_at = now;
  cart.updated_at = now;
  cart.expires_at = now + (guest ? config_.checkout.cart_expiry_guest_hours
                                 : config_.checkout.cart_expiry_user_hours) *
                              kHourUs;
  CheckoutWrite write;
  write.carts.push_back(CartWrite{std::move(cart), 0});
  co_return co_await ports_.store.Commit(write);
}

Task<Status> CheckoutService::AddItem(const std::string& cart_id, const CartItem& item) {
  if (item.quantity <= 0 || item.quantity > kItemQuantityMax) {
    co_return Fail(Code::kInvalidArgument, "quantity out of range for " + item.sku);
  }
  auto loaded = co_await ports_.store.GetCart(cart_id);
  if (!loaded.ok()) co_return loaded.status();
  Cart cart = std::move(loaded).value();
  if (cart.status != CartStatus::kActive) {
    co_return Fail(Code::kFailedPrecondition, "cart is " + std::string{Name(cart.status)});
  }
  // Soft check: tells the customer early, reserves nothing.
  auto available = co_await ports_.warehouse.Available(item.sku);
  if (!available.ok()) co_return available.status();
  auto existing = std::find_if(cart.items.begin(), cart.items.end(), [&](const CartItem& i) {
    return i.sku == item.sku && i.warehouse_id == item.warehouse_id;
  });
  std::int32_t wanted = item.quantity + (existing == cart.items.end() ? 0 : existing->quantity);
  if (wanted > available.value()) co_return Fail(Code::kInsufficient, "not enough " + item.sku);
  if (existing != cart.items.end()) {
    existing->quantity = wanted;
  } else {
    if (static_cast<std::int32_t>(cart.items.size()) >= kCartItemsMax) {
      co_return Fail(Code::kInvalidArgument, "cart is full");
    }
    cart.items.push_back(item);
  }
  const std::int64_t expected = cart.version;
  cart.version = expected + 1;
  cart.updated_at = ports_.clock.Now();
  CheckoutWrite write;
  write.carts.push_back(CartWrite{std::move(cart), expected});
  co_return co_await ports_.store.Commit(write);
}

namespace {

// Item prices, shipping and discounts for a cart; shared by preview and confirm.
struct PricedCart {
  std::map<std::string, Money> unit_prices;
  std::vector<PromoQuote> promos;
  Totals totals;
};

// The shipping destination of `choice`: its own country, else the configured default, which wins
// over the code constant under both profiles, as the review says (M-01 / P2-CC-02).
std::string ShippingCountry(const CheckoutChoice& choice, const Config& config) {
  if (!choice.country.empty()) return choice.country;
  return config.checkout.default_country;
}

Task<Result<PricedCart>> PriceCart(CheckoutPorts& ports, const Config& config, const Cart& cart,
                                   const CheckoutChoice& choice, bool redeem_points) {
  PricedCart priced;
  std::vector<std::string> skus;
  std::int32_t units = 0;
  for (const CartItem& item : cart.items) {
    skus.push_back(item.sku);
    units += item.quantity;
  }
  auto prices = co_await ports.pricing.UnitPrices(skus);
  if (!prices.ok()) co_return prices.status();
  priced.unit_prices = std::move(prices).value();
  for (const CartItem& item : cart.items) {
    auto it = priced.unit_prices.find(item.sku);
    if (it == priced.unit_prices.end()) co_return Fail(Code::kNotFound, "no price for " + item.sku);
    priced.totals.subtotal += it->second * item.quantity;
  }
  auto fee = co_await ports.shipping.Fee(ShippingCountry(choice, config), units);
  if (!fee.ok()) co_return fee.status();
  priced.totals.shipping_fee = fee.value();
  for (const std::string& code : choice.promo_codes) {
    auto quote = co_await ports.promotions.Validate(code, priced.totals.subtotal);
    if (!quote.ok()) co_return quote.status();
    priced.totals.discount += quote->discount;
    priced.promos.push_back(std::move(quote).value());
  }
  priced.totals.discount = std::min(priced.totals.discount, priced.totals.subtotal);
  if (redeem_points && choice.points_to_redeem > 0) {
    auto balance = co_await ports.loyalty.Balance(cart.customer_id);
    if (!balance.ok()) co_return balance.status();
    if (balance.value() < choice.points_to_redeem) {
      co_return Fail(Code::kInsufficient, "not enough loyalty points");
    }
    Money payable = priced.totals.subtotal - priced.totals.discount;
    std::int64_t usable = std::min<std::int64_t>(choice.points_to_redeem, payable / kVnd);
    priced.totals.points_redeemed = usable;
    priced.totals.points_value = PointsValue(usable);
  }
  priced.totals.total = priced.totals.subtotal + priced.totals.shipping_fee -
                        priced.totals.discount - priced.totals.points_value;
  CSIM_CHECK(priced.totals.total >= 0, "a total is never negative");
  co_return priced;
}

}  // namespace

Task<Result<Preview>> CheckoutService::PreviewCheckout(const std::string& cart_id,
                                                       const CheckoutChoice& choice) {
  auto cart = co_await ports_.store.GetCart(cart_id);
  if (!cart.ok()) co_return cart.status();
  if (cart->items.empty()) co_return Fail(Code::kFailedPrecondition, "cart is empty");
  bool redeem = profile_.Fixed(FindingId("P2-CC-03"));  // as reviewed: points never redeemed
  auto priced = co_await PriceCart(ports_, config_, cart.value(), choice, redeem);
  if (!priced.ok()) co_return priced.status();
  co_return Preview{cart->version, priced->totals};
}

// One ConfirmCheckout: lives in the caller's coroutine frame, so a crash destroys it whole.
class ConfirmSaga {
 public:
  ConfirmSaga(CheckoutService& service, const ConfirmRequest& request)
      : ports_(service.ports_),
        config_(service.config_),
        profile_(service.profile_),
        request_(request) {}

  Task<Result<ConfirmResult>> Run();

 private:
  Task<Status> StartSession();
  // SIM-17 fixed: Ok while the idempotency lock cannot have lapsed (half its TTL since it was
  // asked for); else kConflict, and the saga stops before its next effect.
  Status LeaseHolds() const;
  Task<Status> Authorize();
  Task<Status> ReserveStock();
  Task<Status> ClaimPromotionsAndPoints();
  bool MayHaveApplied(const Status& status) const;
  Task<Result<Order>> CreateOrder();
  Task<void> ApplyPromotionsAfterOrder(const Order& order);
  Task<void> Finalize(const Order& order);
  Task<void> Compensate();
  Task<void> VoidUnheardAuthorization(TimeUs now);
  Task<void> FindUnheardReservation();

  CheckoutPorts& ports_;
  const Config& config_;
  const Profile& profile_;
  const ConfirmRequest& request_;

  Cart cart_;  // as stored after the move to kCheckout
  // "<session>:v<version>": the key of this attempt's side effects. A retry after compensation
  // is a new attempt (the cart's version moved), so it never gets back what was undone.
  std::string attempt_;
  std::string lock_key_;
  std::vector<std::string> coupon_locks_;
  PricedCart priced_;
  std::string authorization_id_;
  // An Authorize timed out: a hold may exist whose id the saga never heard (SIM-03).
  bool authorize_timed_out_ = false;
  std::vector<OrderItem> reserved_;  // in item order, each with its reservation id
  // The reserve that timed out: a reservation may exist whose id the saga never heard (SIM-06).
  std::optional<ReserveRequest> reserve_timed_out_;
  std::vector<std::string> claimed_promos_;
  bool points_redeemed_ = false;
  std::vector<FailedCompensation> queued_;  // written with the cart's compensation commit
  TimeUs lease_from_ = 0;                   // when the idempotency lock was asked for
};

Status ConfirmSaga::LeaseHolds() const {
  CSIM_CHECK(!lock_key_.empty(), "asked only once the saga took its lock");
  // SIM-17: as the services do it, the saga never asks whether it still holds the idempotency
  // lock. A checkout-api stalled (a GC or VM pause) past the lock's TTL and past
  // auto_cancel_minutes finds its attempt undone by CartCleanupWorker (SIM-07's fix) and goes on:
  // a reserve by the same reference returns the released reservation and the order is created on
  // it. Fixed: the lock is a lease; past half its TTL the saga stops and compensates, which leaves
  // a margin of 22.5 minutes of stall before any cleanup may act.
  if (profile_.AsReviewedOn(FindingId("SIM-17"))) return Status::Ok();
  const DurationUs held_us = ports_.clock.Now() - lease_from_;
  CSIM_CHECK(held_us >= 0, "time runs forward");
  if (held_us <= config_.checkout.idempotency_lock_minutes * kMinuteUs / 2) return Status::Ok();
  return Fail(Code::kConflict, "the checkout lock may have lapsed: the attempt stops");
}

DurationUs SagaReservationTtl(const Config& config, const Profile& profile) {
  if (profile.Fixed(FindingId("P1-CC-02"))) {
    return config.order.reservation_timeout_minutes * kMinuteUs;  // the one configured value
  }
  return config.checkout.reservation_payment_ttl_minutes * kMinuteUs;  // the checkout constant
}

Task<Status> ConfirmSaga::StartSession() {
  auto loaded = co_await ports_.store.GetCart(request_.cart_id);
  if (!loaded.ok()) co_return loaded.status();
  cart_ = std::move(loaded).value();
  if (cart_.status != CartStatus::kActive) {
    co_return Fail(Code::kFailedPrecondition, "cart is " + std::string{Name(cart_.status)});
  }
  if (cart_.version != request_.cart_version) {
    co_return Fail(Code::kConflict, "cart changed since preview (EC-01)");
  }
  if (cart_.items.empty()) co_return Fail(Code::kFailedPrecondition, "cart is empty");
  if (static_cast<std::int32_t>(request_.choice.promo_codes.size()) >
      config_.checkout.max_promotion_codes) {
    co_return Fail(Code::kInvalidArgument, "too many promotion codes");
  }
  lock_key_ = IdempotencyLockKey(cart_);
  attempt_ = CheckoutAttempt(cart_);
  lease_from_ = ports_.clock.Now();  // the lock's TTL counts from no earlier than this
  auto locked = co_await ports_.locks.TryAcquire(
      lock_key_, cart_.session_id, config_.checkout.idempotency_lock_minutes * kMinuteUs);
  if (!locked.ok()) co_return locked.status();
  if (!locked.value()) co_return Fail(Code::kConflict, "checkout already in progress");

  const std::int64_t expected = cart_.version;
  cart_.version = expected + 1;
  cart_.status = CartStatus::kCheckout;
  cart_.checkout_promo_codes = request_.choice.promo_codes;
  cart_.checkout_started_at = ports_.clock.Now();
  cart_.updated_at = cart_.checkout_started_at;
  CheckoutWrite write;
  write.carts.push_back(CartWrite{cart_, expected});
  Status moved = co_await ports_.store.Commit(write);
  if (!moved.ok()) {
    (void)co_await ports_.locks.Release(lock_key_, cart_.session_id);
    co_return moved;
  }
  CSIM_CHECK(cart_.status == CartStatus::kCheckout, "the cart is in checkout after StartSession");
  CSIM_CHECK(cart_.version == request_.cart_version + 1,
             "StartSession moved the previewed version");
  CSIM_CHECK(AttemptInProgress(cart_) == attempt_, "the attempt is keyed by the previewed version");
  co_return Status::Ok();
}

Task<Status> ConfirmSaga::Authorize() {
  if (request_.choice.payment_method == PaymentMethod::kCashOnDelivery) co_return Status::Ok();
  CSIM_CHECK(authorization_id_.empty(), "one authorization per attempt");
  CSIM_CHECK(priced_.totals.total >= 0, "priced before authorizing");
  const std::string key = AuthorizationKey(attempt_);
  Status last;
  // Authorize is idempotent by key, so a timeout is retried without charging twice.
  for (std::int32_t attempt = 0; attempt < kAuthorizeAttemptsMax; ++attempt) {
    auto auth = co_await ports_.payment.Authorize(key, cart_.customer_id, priced_.totals.total);
    if (auth.ok()) {
      authorization_id_ = std::move(auth).value();
      co_return Status::Ok();
    }
    last = auth.status();
    if (last.code() == Code::kTimeout) authorize_timed_out_ = true;
    if (last.code() != Code::kTimeout && last.code() != Code::kUnavailable) break;
  }
  co_return last;
}

Task<Status> ConfirmSaga::ReserveStock() {
  const bool guard_warehouse = profile_.Fixed(FindingId("P1-CC-01"));
  if (guard_warehouse) {
    for (const CartItem& item : cart_.items) {
      if (!item.warehouse_id || item.warehouse_id->empty()) {
        co_return Fail(Code::kInvalidArgument, "item " + item.sku + " has no warehouse id");
      }
    }
  }
  for (std::size_t i = 0; i < cart_.items.size(); ++i) {
    if (Status lease = LeaseHolds(); !lease.ok()) co_return lease;
    const CartItem& item = cart_.items[i];
    ReserveRequest reserve;
    reserve.sku = item.sku;
    reserve.warehouse_id = item.warehouse_id.value_or("");  // as reviewed: "" when nil (EC-08)
    reserve.quantity = item.quantity;
    reserve.ttl_us = SagaReservationTtl(config_, profile_);
    reserve.reference = attempt_ + ":" + std::to_string(i);
    auto reservation = co_await ports_.warehouse.ReserveWithTtl(reserve);
    if (reservation.code() == Code::kTimeout) reserve_timed_out_ = reserve;
    if (!reservation.ok()) co_return reservation.status();
    reserved_.push_back(OrderItem{item.sku, reserve.warehouse_id, item.quantity,
                                  priced_.unit_prices.at(item.sku), reservation.value()});
  }
  CSIM_CHECK(reserved_.size() == cart_.items.size(), "every item reserved before the order");
  CSIM_CHECK(!reserve_timed_out_.has_value(), "no reserve left unheard on success");
  co_return Status::Ok();
}

bool ConfirmSaga::MayHaveApplied(const Status& status) const {
  // A timeout may hide a success. Fixed (SIM-02), the compensation undoes such a call too (its
  // undo is idempotent and Ok when there is nothing to undo); as the services do it, only calls
  // known to have succeeded are undone, and a usage or redemption that did land is kept.
  return status.ok() || (status.code() == Code::kTimeout && profile_.Fixed(FindingId("SIM-02")));
}

Task<Status> ConfirmSaga::ClaimPromotionsAndPoints() {
  if (profile_.Fixed(FindingId("P2-CC-04"))) {
    // Usage claimed before the order exists, so an expired promo fails the checkout cleanly.
    for (const PromoQuote& promo : priced_.promos) {
      Status claimed = co_await ports_.promotions.ClaimUsage(promo.code, attempt_, promo.discount);
      if (MayHaveApplied(claimed)) claimed_promos_.push_back(promo.code);
      if (!claimed.ok()) co_return claimed;
    }
  }
  if (priced_.totals.points_redeemed > 0) {
    CSIM_CHECK(profile_.Fixed(FindingId("P2-CC-03")), "points are priced only when redeemed");
    Status redeemed =
        co_await ports_.loyalty.Redeem(cart_.customer_id, priced_.totals.points_redeemed, attempt_);
    points_redeemed_ = MayHaveApplied(redeemed);
    if (!redeemed.ok()) co_return redeemed;
  }
  co_return Status::Ok();
}

Task<Result<Order>> ConfirmSaga::CreateOrder() {
  CreateOrderRequest create;
  create.cart_session_id = cart_.session_id;
  create.checkout_attempt = attempt_;
  create.customer_id = cart_.customer_id;
  create.items = reserved_;
  create.subtotal = priced_.totals.subtotal;
  create.shipping_fee = priced_.totals.shipping_fee;
  create.discount = priced_.totals.discount;
  create.points_redeemed = priced_.totals.points_redeemed;
  create.points_value = priced_.totals.points_value;
  create.total = priced_.totals.total;
  for (const PromoQuote& promo : priced_.promos) create.promo_codes.push_back(promo.code);
  create.payment_method = request_.choice.payment_method;
  create.authorization_id = authorization_id_;
  auto order = co_await ports_.orders.CreateOrder(create);
  if (order.ok() || order.code() != Code::kTimeout) co_return order;
  // A timeout may hide a success: the session's unique order tells which.
  for (std::int32_t attempt = 0; attempt < kOrderLookupAttemptsMax; ++attempt) {
    auto found = co_await ports_.orders.FindBySession(cart_.session_id);
    if (found.ok()) co_return found;
    // The order service commits an order whole or not at all: none now means none was made.
    if (found.code() == Code::kNotFound) co_return Status{Code::kUnavailable, "order not created"};
  }
  co_return order;
}

Task<void> ConfirmSaga::Compensate() {
  CSIM_CHECK(!attempt_.empty() && cart_.status == CartStatus::kCheckout,
             "only a started attempt is compensated");
  CSIM_CHECK(reserved_.size() <= cart_.items.size(), "at most one reservation per item");
  const TimeUs now = ports_.clock.Now();
  const bool track_release_errors = profile_.Fixed(FindingId("P2-CC-05"));
  if (reserve_timed_out_) co_await FindUnheardReservation();
  for (const OrderItem& item : reserved_) {
    Status released = co_await ports_.warehouse.Release(item.reservation_id);
    if (!released.ok() && track_release_errors) {
      queued_.push_back(Compensation(CompensationKind::kReleaseReservation, item.reservation_id,
                                     config_.checkout.release_max_retries, now));
    }
    // As reviewed (EC-06): `_ = ReleaseReservation(...)`, the error is dropped.
  }
  if (authorization_id_.empty() && authorize_timed_out_) co_await VoidUnheardAuthorization(now);
  if (!authorization_id_.empty()) {
    Status voided = co_await ports_.payment.Void(authorization_id_);
    if (!voided.ok()) {
      queued_.push_back(Compensation(CompensationKind::kVoidAuthorization, authorization_id_,
                                     config_.checkout.void_max_retries, now));
    }
  }
  for (const std::string& code : claimed_promos_) {
    Status released = co_await ports_.promotions.ReleaseUsage(code, attempt_);
    if (!released.ok()) {
      auto c = Compensation(CompensationKind::kReleasePromotion, code,
                            config_.checkout.promotion_max_retries, now);
      c.fields["reference"] = attempt_;
      queued_.push_back(std::move(c));
    }
  }
  if (points_redeemed_) {
    Status returned = co_await ports_.loyalty.GiveBack(cart_.customer_id, attempt_);
    if (!returned.ok()) {
      auto c = Compensation(CompensationKind::kGiveBackPoints, cart_.customer_id,
                            config_.checkout.promotion_max_retries, now);
      c.fields["reference"] = attempt_;
      queued_.push_back(std::move(c));
    }
  }
  for (const std::string& key : coupon_locks_) {
    (void)co_await ports_.locks.Release(key, cart_.session_id);  // the TTL ends it otherwise
  }
  // Back to active so the customer can try again; the compensations ride in the same commit.
  Cart reopened = cart_;
  reopened.version = cart_.version + 1;
  reopened.status = CartStatus::kActive;
  reopened.updated_at = now;
  CheckoutWrite write;
  write.carts.push_back(CartWrite{std::move(reopened), cart_.version});
  write.compensations = queued_;
  for (const FailedCompensation& row : queued_) {
    CSIM_CHECK(!row.subject.empty() && row.max_attempts > 0,
               "a queued compensation can be retried");
  }
  Status committed = co_await ports_.store.Commit(write);
  if (!committed.ok() && !queued_.empty()) {
    // The compensations matter more than the cart's status: try them alone once more.
    CheckoutWrite only_compensations;
    only_compensations.compensations = queued_;
    (void)co_await ports_.store.Commit(only_compensations);
  }
  (void)co_await ports_.locks.Release(lock_key_, cart_.session_id);
}

Task<void> ConfirmSaga::VoidUnheardAuthorization(TimeUs now) {
  CSIM_CHECK(authorization_id_.empty() && authorize_timed_out_);
  // As the services do it (SIM-03), only an authorization id the saga heard back is voided: a
  // timeout that hid the hold, followed by a failed retry, leaves the customer's money held until
  // the hold lapses (days). Fixed: the gateway is asked for the hold made with the attempt's key.
  if (profile_.AsReviewedOn(FindingId("SIM-03"))) co_return;
  const std::string key = AuthorizationKey(attempt_);
  auto found = co_await ports_.payment.LookupAuthorization(key);
  if (found.ok()) {
    authorization_id_ = std::move(found).value();  // voided by the caller like any other
  } else if (found.code() != Code::kNotFound) {
    queued_.push_back(Compensation(CompensationKind::kVoidAuthorizationByKey, key,
                                   config_.checkout.void_max_retries, now));
  }
}

Task<void> ConfirmSaga::FindUnheardReservation() {
  CSIM_CHECK(reserve_timed_out_.has_value());
  // As the services do it (SIM-06), only reservations whose id came back are rolled back: one
  // whose ReserveWithTtl timed out after it took effect holds its stock until the TTL lapses.
  // Fixed: the reserve is repeated with the same reference, which the warehouse answers with the
  // existing reservation (or makes one, released at once like the others).
  if (profile_.AsReviewedOn(FindingId("SIM-06"))) co_return;
  for (std::int32_t attempt = 0; attempt < kReserveLookupAttemptsMax; ++attempt) {
    auto found = co_await ports_.warehouse.ReserveWithTtl(*reserve_timed_out_);
    if (found.ok()) {
      reserved_.push_back(OrderItem{reserve_timed_out_->sku, reserve_timed_out_->warehouse_id,
                                    reserve_timed_out_->quantity, 0, found.value()});
      co_return;
    }
    // Refused outright (no stock, bad request): the first reserve made nothing either.
    if (found.code() != Code::kTimeout && found.code() != Code::kUnavailable) co_return;
  }
  // SIM-11: every lookup failed, so the warehouse may hold a reservation nobody will release
  // before its TTL lapses. Fixed: FailedCompensationWorker looks it up by reference and releases
  // it once the warehouse answers again.
  if (profile_.AsReviewedOn(FindingId("SIM-11"))) co_return;
  queued_.push_back(ReleaseByReferenceRow(*reserve_timed_out_, config_.checkout.release_max_retries,
                                          ports_.clock.Now()));
}

Task<void> ConfirmSaga::ApplyPromotionsAfterOrder(const Order& order) {
  // As reviewed (EC-04): best effort after the order exists, failures to the DLQ.
  const TimeUs now = ports_.clock.Now();
  std::vector<FailedCompensation> failed;
  for (const PromoQuote& promo : priced_.promos) {
    Status claimed =
        co_await ports_.promotions.ClaimUsage(promo.code, order.checkout_attempt, promo.discount);
    if (!claimed.ok()) {
      auto c = Compensation(CompensationKind::kApplyPromotion, promo.code,
                            config_.checkout.promotion_max_retries, now);
      c.fields["reference"] = order.checkout_attempt;
      c.fields["discount"] = std::to_string(promo.discount);
      failed.push_back(std::move(c));
    }
  }
  if (failed.empty()) co_return;
  CheckoutWrite write;
  write.compensations = std::move(failed);
  (void)co_await ports_.store.Commit(write);
}

Task<void> ConfirmSaga::Finalize(const Order& order) {
  const TimeUs now = ports_.clock.Now();
  CheckoutWrite write = CompleteCartWrite(cart_, order, now);
  Status committed = co_await ports_.store.Commit(write);
  if (!committed.ok()) {
    // completeCartAfterOrderCreation failed: the worker retries it (cart_cleanup, 3 times).
    auto c = Compensation(CompensationKind::kCartCleanup, cart_.id,
                          config_.checkout.cart_cleanup_max_retries, now);
    c.fields["order_id"] = order.id;
    CheckoutWrite dlq;
    dlq.compensations.push_back(std::move(c));
    (void)co_await ports_.store.Commit(dlq);
  }
  (void)co_await ports_.locks.Put(IdempotencyResultKey(cart_.session_id), order.id,
                                  config_.checkout.idempotency_result_hours * kHourUs);
}

Task<Result<ConfirmResult>> ConfirmSaga::Run() {
  // A repeated confirm returns the remembered result (24 h).
  auto cart_for_key = co_await ports_.store.GetCart(request_.cart_id);
  if (!cart_for_key.ok()) co_return cart_for_key.status();
  auto remembered = co_await ports_.locks.Get(IdempotencyResultKey(cart_for_key->session_id));
  if (remembered.ok() && remembered->has_value()) {
    co_return ConfirmResult{*remembered.value(), {}, true};
  }

  // Step 1: validate cart and session, take the idempotency lock, move the cart to checkout.
  Status started = co_await StartSession();
  if (!started.ok()) co_return started;

  auto fail = [&](Status why) -> Task<Result<ConfirmResult>> {
    co_await Compensate();
    co_return why;
  };

  // Step 2: totals, with prices re-validated against what the customer confirmed.
  const bool redeem = profile_.Fixed(FindingId("P2-CC-03"));
  auto priced = co_await PriceCart(ports_, config_, cart_, request_.choice, redeem);
  if (!priced.ok()) co_return co_await fail(priced.status());
  priced_ = std::move(priced).value();
  CSIM_CHECK(priced_.totals.total == priced_.totals.subtotal + priced_.totals.shipping_fee -
                                         priced_.totals.discount - priced_.totals.points_value,
             "the total is the sum of its parts");
  CSIM_CHECK(priced_.promos.size() == request_.choice.promo_codes.size(), "every code priced");
  if (priced_.totals.subtotal != request_.confirmed.subtotal) {
    co_return co_await fail(Fail(Code::kRejected, "prices changed since preview"));
  }
  if (profile_.Fixed(FindingId("R-1.5"))) {
    if (priced_.totals.shipping_fee != request_.confirmed.shipping_fee) {
      co_return co_await fail(Fail(Code::kRejected, "totals changed: shipping fee"));
    }
  }
  // As reviewed the fee re-computed now goes into the order unchecked.
  for (const PromoQuote& promo : priced_.promos) {
    if (!promo.single_use) continue;
    auto locked =
        co_await ports_.locks.TryAcquire(CouponLockKey(promo.code), cart_.session_id,
                                         config_.checkout.idempotency_lock_minutes * kMinuteUs);
    if (!locked.ok()) co_return co_await fail(locked.status());
    if (!locked.value()) co_return co_await fail(Fail(Code::kConflict, "coupon in use"));
    coupon_locks_.push_back(CouponLockKey(promo.code));
  }

  // Step 3: fraud pre-check.
  Status fraud = co_await ports_.fraud.PreCheck(cart_.customer_id, priced_.totals.total);
  if (!fraud.ok()) co_return co_await fail(fraud);

  // Step 4: authorize payment (cash on delivery skips it, EC-07).
  if (Status lease = LeaseHolds(); !lease.ok()) co_return co_await fail(lease);
  Status authorized = co_await Authorize();
  if (!authorized.ok()) co_return co_await fail(authorized);

  // Step 5: reserve stock item by item; a partial reservation is rolled back by Compensate.
  Status reserved = co_await ReserveStock();
  if (!reserved.ok()) co_return co_await fail(reserved);

  if (Status lease = LeaseHolds(); !lease.ok()) co_return co_await fail(lease);
  Status claimed = co_await ClaimPromotionsAndPoints();
  if (!claimed.ok()) co_return co_await fail(claimed);

  // Step 6: create the order; on failure roll back reservations and void the authorization.
  if (Status lease = LeaseHolds(); !lease.ok()) co_return co_await fail(lease);
  auto order = co_await CreateOrder();
  // SIM-08: a create that timed out and could not be looked up may have made the order. As the
  // review's step 6 has it, any failure rolls back reservations and the authorization, so an
  // order that does exist is left holding released stock and a voided authorization, and the
  // customer's retry gets that order back while the retry's own reservations hold stock for
  // nothing. Fixed: an unknown outcome is not compensated; the cart stays in checkout and
  // CartCleanupWorker settles it from durable state (completes it for the order, or undoes the
  // attempt when there is none, SIM-07).
  if (order.code() == Code::kTimeout && profile_.Fixed(FindingId("SIM-08")))
    co_return order.status();
  if (!order.ok()) co_return co_await fail(order.status());

  // Step 7: promotions after the order (as reviewed only).
  if (!profile_.Fixed(FindingId("P2-CC-04"))) co_await ApplyPromotionsAfterOrder(order.value());

  CSIM_CHECK(order->cart_session_id == cart_.session_id, "the order of this cart's session");
  CSIM_CHECK(order->items.size() == reserved_.size(), "the order holds every reservation");
  // Step 8: finalize: outbox + cart completed in one transaction.
  co_await Finalize(order.value());
  co_return ConfirmResult{order->id, priced_.totals, false};
}

std::vector<std::string> CheckoutService::TransitionTableAudit() const {
  // P1-CC-05 / M-05: fixed, the copy is gone and the order side's table is the only one.
  if (profile_.Fixed(FindingId("P1-CC-05"))) return {};
  std::vector<std::string> differences;
  std::string first;
  if (!CheckoutTableAgreesWithOrderTable(&first)) differences.push_back(first);
  return differences;
}

std::vector<std::string> CheckoutService::DefaultCountryAudit() const {
  if (profile_.Fixed(FindingId("M-01"))) return {};
  if (config_.checkout.default_country == kDefaultCountryCode) return {};
  return {"checkout.default_country is \"" + config_.checkout.default_country +
          "\" but the code constant DefaultCountryCode is \"" + std::string{kDefaultCountryCode} +
          "\" (the config wins)"};
}

std::vector<std::string_view> CheckoutService::DeclaredTopics() const {
  std::vector<std::string_view> declared{topics::kCartConverted, topics::kPaymentCaptureRequested};
  // M-04 / P2-CC-01: as reviewed TopicCheckoutCompleted is declared and never published.
  if (!profile_.Fixed(FindingId("M-04"))) declared.push_back(topics::kCheckoutCompleted);
  return declared;
}

Task<Result<ConfirmResult>> CheckoutService::ConfirmCheckout(const ConfirmRequest& request) {
  ConfirmSaga saga(*this, request);
  co_return co_await saga.Run();
}

}  // namespace csim
