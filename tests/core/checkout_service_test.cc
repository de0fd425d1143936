#include "core/checkout/checkout_service.h"
#include "tests/core/flaky_warehouse.h"
#include "tests/core/forwarding_payment.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/order/order_service.h"
#include "core/topics.h"
#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_fraud.h"
#include "fakes/fake_locks.h"
#include "fakes/fake_loyalty.h"
#include "fakes/fake_order_store.h"
#include "fakes/fake_payment.h"
#include "fakes/fake_pricing.h"
#include "fakes/fake_promotions.h"
#include "fakes/fake_shipping.h"
#include "fakes/fake_warehouse.h"
#include "fakes/instant_clock.h"
#include "fakes/run_sync.h"

namespace csim {

// Readable gtest failures for status codes (found by ADL).
inline void PrintTo(Code code, std::ostream* os) {
  *os << CodeName(code);
}

namespace fakes {
inline void PrintTo(AuthStatus status, std::ostream* os) {
  *os << Name(status);
}
inline void PrintTo(ReservationStatus status, std::ostream* os) {
  *os << Name(status);
}
}  // namespace fakes

namespace {

using fakes::AuthStatus;
using fakes::RunSync;

constexpr Money kSku1Price = 100'000 * kVnd;
constexpr Money kSku2Price = 50'000 * kVnd;
constexpr Money kShippingBase = 20'000 * kVnd;
constexpr Money kShippingPerItem = 1'000 * kVnd;
constexpr std::int64_t kStockPerSku = 10;

// ---- Test doubles wrapping the fakes ----

// The fraud service with a hook that runs just before each pre-check: the point of the saga
// between pricing (step 2) and authorization (step 4) where the test lets the world change.
class HookedFraud final : public FraudService {
 public:
  explicit HookedFraud(FraudService& inner) : inner_(inner) {}
  Task<Status> PreCheck(const std::string& customer_id, Money amount) override {
    if (before_) before_();
    co_return co_await inner_.PreCheck(customer_id, amount);
  }
  void SetBefore(std::function<void()> before) { before_ = std::move(before); }

 private:
  FraudService& inner_;
  std::function<void()> before_;
};

// The order client whose CreateOrder fails (kUnavailable, before any effect) for the first
// `failures` calls (kAlways: every call), then forwards to the real order service.
class FailingOrders final : public OrderClient {
 public:
  static constexpr std::int32_t kAlways = -1;
  explicit FailingOrders(OrderClient& inner) : inner_(inner) {}
  Task<Result<Order>> CreateOrder(const CreateOrderRequest& request) override {
    ++create_calls_;
    if (failures_ != 0) {
      if (failures_ > 0) --failures_;
      co_return Status{Code::kUnavailable, "order service down"};
    }
    co_return co_await inner_.CreateOrder(request);
  }
  Task<Status> CancelOrder(const std::string& order_id, const std::string& reason) override {
    co_return co_await inner_.CancelOrder(order_id, reason);
  }
  Task<Result<Order>> FindBySession(const std::string& cart_session_id) override {
    co_return co_await inner_.FindBySession(cart_session_id);
  }
  void FailCreates(std::int32_t failures) { failures_ = failures; }
  std::int32_t create_calls() const { return create_calls_; }

 private:
  OrderClient& inner_;
  std::int32_t failures_ = 0;
  std::int32_t create_calls_ = 0;
};

// The gateway whose Void can be made to fail (kUnavailable, before any effect).
class FlakyGateway final : public test_ports::ForwardingPaymentGateway {
 public:
  using ForwardingPaymentGateway::ForwardingPaymentGateway;
  Task<Status> Void(const std::string& authorization_id) override {
    if (fail_voids_) co_return Status{Code::kUnavailable, "gateway down"};
    co_return co_await inner().Void(authorization_id);
  }
  void FailVoids(bool fail) { fail_voids_ = fail; }

 private:
  bool fail_voids_ = false;
};

// Promotions whose ClaimUsage can be made to time out after its effect (the usage is recorded,
// the caller hears kTimeout).
class AmbiguousPromotions final : public Promotions {
 public:
  explicit AmbiguousPromotions(Promotions& inner) : inner_(inner) {}
  Task<Result<PromoQuote>> Validate(const std::string& code, Money subtotal) override {
    co_return co_await inner_.Validate(code, subtotal);
  }
  Task<Status> ClaimUsage(const std::string& code, const std::string& reference,
                          Money discount) override {
    Status claimed = co_await inner_.ClaimUsage(code, reference, discount);
    if (claimed.ok() && timeout_claims_) co_return Status{Code::kTimeout, "no answer"};
    co_return claimed;
  }
  Task<Status> ReleaseUsage(const std::string& code, const std::string& reference) override {
    co_return co_await inner_.ReleaseUsage(code, reference);
  }
  void TimeoutClaims(bool timeout) { timeout_claims_ = timeout; }

 private:
  Promotions& inner_;
  bool timeout_claims_ = false;
};

CheckoutChoice Card() {
  return CheckoutChoice{};
}

// ---- Fixture: the whole checkout side over the fakes, for a profile chosen by the test ----

class CheckoutServiceTest : public ::testing::Test {
 protected:
  static constexpr const char* kCustomer = "customer-1";

  CheckoutServiceTest()
      : config_(DefaultConfig()),
        profile_(Profile::AllFixed()),
        store_(clock_),
        shipping_(fakes::ShippingRate{kShippingBase, kShippingPerItem}),
        hooked_fraud_(fraud_),
        payment_(clock_),
        gateway_(payment_),
        warehouse_(clock_),
        flaky_warehouse_(warehouse_),
        promotions_(clock_),
        ambiguous_promotions_(promotions_),
        locks_(clock_),
        order_store_(clock_),
        order_service_(OrderPorts{clock_, order_store_, warehouse_, payment_}, config_, profile_),
        orders_(order_service_) {
    pricing_.SetPrice("sku-1", kSku1Price);
    pricing_.SetPrice("sku-2", kSku2Price);
    warehouse_.SetStock("sku-1", "wh-1", kStockPerSku);
    warehouse_.SetStock("sku-2", "wh-1", kStockPerSku);
  }

  CheckoutPorts Ports() {
    return CheckoutPorts{clock_,        store_,   pricing_,         shipping_,
                         hooked_fraud_, gateway_, flaky_warehouse_, ambiguous_promotions_,
                         loyalty_,      locks_,   orders_,          alerts_};
  }
  CheckoutService Service() { return CheckoutService(Ports(), config_, profile_); }

  // ---- Actions ----
  static std::string SessionOf(const std::string& cart_id) { return "session-" + cart_id; }

  // A signed-in customer's cart holding `items` (each added through AddItem).
  void NewCart(const std::string& cart_id, const std::vector<CartItem>& items,
               const std::string& customer_id = kCustomer) {
    ASSERT_TRUE(
        RunSync(Service().CreateCart(cart_id, SessionOf(cart_id), customer_id, false)).ok());
    for (const CartItem& item : items) {
      Status added = RunSync(Service().AddItem(cart_id, item));
      ASSERT_TRUE(added.ok()) << added.ToString();
    }
  }
  // sku-1 x2 and sku-2 x1, both from wh-1.
  void StandardCart(const std::string& cart_id) {
    NewCart(cart_id, {CartItem{"sku-1", 2, "wh-1"}, CartItem{"sku-2", 1, "wh-1"}});
  }
  Preview PreviewOf(const std::string& cart_id, const CheckoutChoice& choice) {
    auto preview = RunSync(Service().PreviewCheckout(cart_id, choice));
    EXPECT_TRUE(preview.ok()) << preview.status().ToString();
    return preview.ok() ? preview.value() : Preview{};
  }
  Result<ConfirmResult> Confirm(const std::string& cart_id, const Preview& preview,
                                const CheckoutChoice& choice) {
    return RunSync(Service().ConfirmCheckout(
        ConfirmRequest{cart_id, preview.cart_version, choice, preview.totals}));
  }
  // Preview then confirm with what was previewed.
  Result<ConfirmResult> Checkout(const std::string& cart_id, const CheckoutChoice& choice) {
    return Confirm(cart_id, PreviewOf(cart_id, choice), choice);
  }
  void AddPromotion(const std::string& code, Money discount, bool single_use = false) {
    fakes::Promotion promotion;
    promotion.code = code;
    promotion.discount = discount;
    promotion.single_use = single_use;
    promotions_.AddPromotion(promotion);
  }

  // Expires `code` now; the clock moves on a second so it is expired (ExpireNow at time 0 takes
  // effect at time 1).
  void ExpirePromotion(const std::string& code) {
    promotions_.ExpireNow(code);
    clock_.Advance(kSecondUs);
  }

  // ---- Figures ----
  std::int64_t ActiveReserved() const {
    std::int64_t total = 0;
    for (const fakes::StockView& view : warehouse_.StockViews(clock_.Now())) {
      total += view.active_reserved;
    }
    return total;
  }
  std::int64_t ActiveReserved(const std::string& sku, const std::string& warehouse_id) const {
    return warehouse_.ActiveReserved(sku, warehouse_id, clock_.Now());
  }
  std::int64_t Committed() const {
    std::int64_t total = 0;
    for (const fakes::StockView& view : warehouse_.StockViews(clock_.Now())) {
      total += view.committed;
    }
    return total;
  }
  std::vector<fakes::Authorization> Auths() const { return payment_.Authorizations(); }
  const Cart& CartOf(const std::string& cart_id) const { return store_.Carts().at(cart_id); }
  std::vector<std::string> OutboxTopics() const {
    std::vector<std::string> topics;
    for (const auto& [id, row] : store_.Outbox()) topics.push_back(row.event.topic);
    return topics;
  }
  std::vector<FailedCompensation> CompensationRows() const {
    std::vector<FailedCompensation> rows;
    for (const auto& [id, row] : store_.Compensations()) rows.push_back(row);
    return rows;
  }
  std::vector<FailedCompensation> CompensationRows(CompensationKind kind) const {
    std::vector<FailedCompensation> rows;
    for (const auto& [id, row] : store_.Compensations()) {
      if (row.kind == kind) rows.push_back(row);
    }
    return rows;
  }
  std::vector<std::string> LiveLockKeys() const {
    std::vector<std::string> keys;
    for (const auto& [key, entry] : locks_.LiveKeys(clock_.Now())) keys.push_back(key);
    return keys;
  }
  const Order* OrderOf(const std::string& order_id) const {
    auto it = order_store_.Orders().find(order_id);
    return it == order_store_.Orders().end() ? nullptr : &it->second;
  }
  static Money Sum(const Totals& t) {
    return t.subtotal + t.shipping_fee - t.discount - t.points_value;
  }

  // Nothing of the saga's side effects exists (validation failed before step 1's lock).
  void ExpectNoSideEffects() const {
    EXPECT_TRUE(warehouse_.Reservations().empty());
    EXPECT_TRUE(Auths().empty());
    EXPECT_TRUE(order_store_.Orders().empty());
    EXPECT_TRUE(LiveLockKeys().empty());
    EXPECT_TRUE(CompensationRows().empty());
    EXPECT_TRUE(store_.Outbox().empty());
  }
  // A compensated confirm: stock back, authorization (if any) voided, cart active again one
  // version after the checkout move, locks released, no order.
  void ExpectCompensated(const std::string& cart_id, std::int64_t previewed_version) const {
    EXPECT_EQ(ActiveReserved(), 0);
    for (const fakes::Reservation& r : warehouse_.Reservations()) {
      EXPECT_EQ(r.status, fakes::ReservationStatus::kReleased) << r.id;
    }
    for (const fakes::Authorization& a : Auths()) {
      EXPECT_EQ(a.status, AuthStatus::kVoided) << a.id;
    }
    EXPECT_TRUE(order_store_.Orders().empty());
    EXPECT_EQ(CartOf(cart_id).status, CartStatus::kActive);
    EXPECT_EQ(CartOf(cart_id).version, previewed_version + 2);
    EXPECT_TRUE(CartOf(cart_id).order_id.empty());
    EXPECT_TRUE(LiveLockKeys().empty());
    EXPECT_TRUE(store_.Outbox().empty());
  }

  fakes::InstantClock clock_;
  Config config_;
  Profile profile_;
  fakes::FakeCheckoutStore store_;
  fakes::FakePricing pricing_;
  fakes::FakeShipping shipping_;
  fakes::FakeFraud fraud_;
  HookedFraud hooked_fraud_;
  fakes::FakePaymentGateway payment_;
  FlakyGateway gateway_;
  fakes::FakeWarehouse warehouse_;
  test_ports::FlakyWarehouse flaky_warehouse_;
  fakes::FakePromotions promotions_;
  AmbiguousPromotions ambiguous_promotions_;
  fakes::FakeLoyalty loyalty_;
  fakes::FakeLockStore locks_;
  fakes::FakeOrderStore order_store_;
  OrderService order_service_;
  FailingOrders orders_;
  fakes::FakeAlerts alerts_;
};

// 2 x sku-1 + 1 x sku-2, 3 units shipped to VN at the default rate.
constexpr Money kStandardSubtotal = 2 * kSku1Price + kSku2Price;
constexpr Money kStandardShipping = kShippingBase + 3 * kShippingPerItem;

// ---- Happy paths ----

TEST_F(CheckoutServiceTest, HappyPathCardCreatesPendingOrderAndCompletesCart) {
  StandardCart("c1");
  const Preview preview = PreviewOf("c1", Card());
  EXPECT_EQ(preview.cart_version, 3);  // created (1) + two AddItem
  EXPECT_EQ(preview.totals.subtotal, kStandardSubtotal);
  EXPECT_EQ(preview.totals.shipping_fee, kStandardShipping);
  EXPECT_EQ(preview.totals.total, kStandardSubtotal + kStandardShipping);

  auto result = Confirm("c1", preview, Card());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->replayed);
  EXPECT_EQ(result->totals, preview.totals);

  // The order: pending, total = subtotal + shipping, one line per item with its reservation.
  ASSERT_EQ(order_store_.Orders().size(), 1U);
  const Order* order = OrderOf(result->order_id);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->status, OrderStatus::kPending);
  EXPECT_EQ(order->cart_session_id, SessionOf("c1"));
  EXPECT_EQ(order->subtotal, kStandardSubtotal);
  EXPECT_EQ(order->shipping_fee, kStandardShipping);
  EXPECT_EQ(order->total, kStandardSubtotal + kStandardShipping);
  EXPECT_EQ(order->payment_method, PaymentMethod::kCard);
  ASSERT_EQ(order->items.size(), 2U);
  EXPECT_EQ(order->items[0].sku, "sku-1");
  EXPECT_EQ(order->items[0].unit_price, kSku1Price);
  EXPECT_EQ(order->items[1].sku, "sku-2");

  // The cart: completed with the order id, one version per saga commit (checkout, completed).
  EXPECT_EQ(CartOf("c1").status, CartStatus::kCompleted);
  EXPECT_EQ(CartOf("c1").order_id, result->order_id);
  EXPECT_EQ(CartOf("c1").version, preview.cart_version + 2);

  // The outbox: cart.converted and the capture request, nothing else.
  EXPECT_EQ(OutboxTopics(),
            (std::vector<std::string>{std::string{topics::kCartConverted},
                                      std::string{topics::kPaymentCaptureRequested}}));
  EXPECT_TRUE(CompensationRows().empty());

  // The authorization: one hold of the order total, still authorized, named by the order.
  ASSERT_EQ(Auths().size(), 1U);
  EXPECT_EQ(Auths()[0].status, AuthStatus::kAuthorized);
  EXPECT_EQ(Auths()[0].amount, order->total);
  EXPECT_EQ(order->authorization_id, Auths()[0].id);

  // The stock: reserved (not committed) per item with the configured TTL (fixed: 30 min).
  EXPECT_EQ(ActiveReserved("sku-1", "wh-1"), 2);
  EXPECT_EQ(ActiveReserved("sku-2", "wh-1"), 1);
  EXPECT_EQ(Committed(), 0);
  ASSERT_EQ(warehouse_.Reservations().size(), 2U);
  for (const fakes::Reservation& r : warehouse_.Reservations()) {
    EXPECT_EQ(r.expires_at - r.created_at, config_.order.reservation_timeout_minutes * kMinuteUs);
    EXPECT_EQ(r.warehouse_id, "wh-1");
  }
  EXPECT_EQ(order->items[0].reservation_id, warehouse_.Reservations()[0].id);
  EXPECT_EQ(order->items[1].reservation_id, warehouse_.Reservations()[1].id);

  // The remembered result (24 h) names the order.
  auto remembered = locks_.LiveEntry(IdempotencyResultKey(SessionOf("c1")), clock_.Now());
  ASSERT_TRUE(remembered.has_value());
  EXPECT_EQ(remembered->value, result->order_id);
}

TEST_F(CheckoutServiceTest, CashOnDeliveryNeedsNoAuthorization) {  // EC-07
  StandardCart("c1");
  CheckoutChoice cod;
  cod.payment_method = PaymentMethod::kCashOnDelivery;
  auto result = Checkout("c1", cod);
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  EXPECT_TRUE(Auths().empty());
  const Order* order = OrderOf(result->order_id);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->status, OrderStatus::kPending);
  EXPECT_EQ(order->payment_method, PaymentMethod::kCashOnDelivery);
  EXPECT_TRUE(order->authorization_id.empty());
  EXPECT_EQ(order->total, kStandardSubtotal + kStandardShipping);
  EXPECT_EQ(OutboxTopics(), (std::vector<std::string>{std::string{topics::kCartConverted}}));
  EXPECT_EQ(CartOf("c1").status, CartStatus::kCompleted);
  EXPECT_EQ(ActiveReserved(), 3);
}

// ---- Validation before any side effect ----

TEST_F(CheckoutServiceTest, StaleCartVersionConflictsAndChangesNothing) {  // EC-01
  StandardCart("c1");
  const Preview preview = PreviewOf("c1", Card());
  // Tab 1 adds an item after tab 2 previewed.
  ASSERT_TRUE(RunSync(Service().AddItem("c1", CartItem{"sku-2", 1, "wh-1"})).ok());
  const Cart before = CartOf("c1");
  EXPECT_EQ(before.version, preview.cart_version + 1);

  auto result = Confirm("c1", preview, Card());
  EXPECT_EQ(result.code(), Code::kConflict);
  EXPECT_EQ(CartOf("c1"), before);
  EXPECT_EQ(ActiveReserved(), 0);
  ExpectNoSideEffects();
}

TEST_F(CheckoutServiceTest, AddItemIsRefusedWhileTheCartIsInCheckout) {  // EC-01
  StandardCart("c1");
  std::optional<Status> added_during_checkout;
  std::optional<CartStatus> status_during_checkout;
  hooked_fraud_.SetBefore([&] {
    status_during_checkout = CartOf("c1").status;
    added_during_checkout = RunSync(Service().AddItem("c1", CartItem{"sku-2", 1, "wh-1"}));
  });
  auto result = Checkout("c1", Card());
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  ASSERT_TRUE(added_during_checkout.has_value());
  EXPECT_EQ(status_during_checkout, CartStatus::kCheckout);
  EXPECT_EQ(added_during_checkout->code(), Code::kFailedPrecondition);
  // The order holds what was previewed: the refused item reached neither cart nor order.
  EXPECT_EQ(CartOf("c1").items.size(), 2U);
  EXPECT_EQ(CartOf("c1").items[1].quantity, 1);
  EXPECT_EQ(OrderOf(result->order_id)->subtotal, kStandardSubtotal);
  EXPECT_EQ(ActiveReserved("sku-2", "wh-1"), 1);
}

// The soft stock check: adding more than the warehouse has available is refused at once, and what
// the cart already holds of the item counts toward it. Nothing is reserved either way.
TEST_F(CheckoutServiceTest, AddItemBeyondAvailableStockIsRefused) {
  NewCart("c1", {CartItem{"sku-1", 8, "wh-1"}});
  const Cart before = CartOf("c1");
  const Status over = RunSync(Service().AddItem("c1", CartItem{"sku-1", 3, "wh-1"}));  // 11 of 10
  EXPECT_EQ(over.code(), Code::kInsufficient);
  EXPECT_EQ(CartOf("c1"), before);
  ASSERT_TRUE(RunSync(Service().AddItem("c1", CartItem{"sku-1", 2, "wh-1"})).ok());  // 10 of 10
  ASSERT_EQ(CartOf("c1").items.size(), 1U);
  EXPECT_EQ(CartOf("c1").items[0].quantity, static_cast<std::int32_t>(kStockPerSku));
  EXPECT_EQ(RunSync(Service().AddItem("c1", CartItem{"sku-1", 1, "wh-1"})).code(),
            Code::kInsufficient);
  EXPECT_EQ(ActiveReserved(), 0);
}

// SIM-17: checkout-api stalls (a GC or VM pause) for 31 minutes at the fraud pre-check, past the
// 15-minute lock and auto_cancel_minutes, so CartCleanupWorker may already have undone the
// attempt. Fixed, the saga stops before its first effect outside checkout (no hold, no
// reservation, no order) and reopens the cart; as reviewed it goes on and creates the order.
TEST_F(CheckoutServiceTest, SagaStalledPastHalfItsLockStopsBeforeItsNextEffectWhenFixedSim17) {
  StandardCart("c1");
  const Preview preview = PreviewOf("c1", Card());
  hooked_fraud_.SetBefore([&] { clock_.Advance(31 * kMinuteUs); });
  auto result = Confirm("c1", preview, Card());
  EXPECT_EQ(result.code(), Code::kConflict);
  EXPECT_TRUE(Auths().empty());
  EXPECT_TRUE(warehouse_.Reservations().empty());
  EXPECT_TRUE(order_store_.Orders().empty());
  EXPECT_EQ(CartOf("c1").status, CartStatus::kActive);
  EXPECT_EQ(CartOf("c1").version, preview.cart_version + 2);
  EXPECT_TRUE(LiveLockKeys().empty());
}

TEST_F(CheckoutServiceTest, SagaStalledPastItsLockGoesOnAsReviewedSim17) {
  profile_.SetAsReviewed(FindingId("SIM-17"));
  StandardCart("c1");
  const Preview preview = PreviewOf("c1", Card());
  hooked_fraud_.SetBefore([&] { clock_.Advance(31 * kMinuteUs); });
  auto result = Confirm("c1", preview, Card());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(order_store_.Orders().size(), 1U);
  EXPECT_EQ(Auths().size(), 1U);
  EXPECT_EQ(ActiveReserved(), 3);  // sku-1 x2 and sku-2 x1, held for the order
}

TEST_F(CheckoutServiceTest, MoreThanFivePromoCodesIsInvalidBeforeAnySideEffect) {
  StandardCart("c1");
  CheckoutChoice choice;
  for (int i = 1; i <= 6; ++i) {
    AddPromotion("P" + std::to_string(i), 1'000 * kVnd);
    choice.promo_codes.push_back("P" + std::to_string(i));
  }
  const Preview preview = PreviewOf("c1", choice);
  const Cart before = CartOf("c1");

  auto result = Confirm("c1", preview, choice);
  EXPECT_EQ(result.code(), Code::kInvalidArgument);
  EXPECT_EQ(CartOf("c1"), before);
  ExpectNoSideEffects();
  for (const std::string& code : choice.promo_codes) EXPECT_EQ(promotions_.UsageCount(code), 0);
}

TEST_F(CheckoutServiceTest, FivePromoCodesAreAccepted) {
  StandardCart("c1");
  CheckoutChoice choice;
  for (int i = 1; i <= 5; ++i) {
    AddPromotion("P" + std::to_string(i), 1'000 * kVnd);
    choice.promo_codes.push_back("P" + std::to_string(i));
  }
  auto result = Checkout("c1", choice);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->totals.discount, 5 * 1'000 * kVnd);
  for (const std::string& code : choice.promo_codes) EXPECT_EQ(promotions_.UsageCount(code), 1);
}

// ---- Idempotency ----

TEST_F(CheckoutServiceTest, ReplayedConfirmReturnsTheSameOrder) {
  StandardCart("c1");
  const Preview preview = PreviewOf("c1", Card());
  auto first = Confirm("c1", preview, Card());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const Cart completed = CartOf("c1");

  auto second = Confirm("c1", preview, Card());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->replayed);
  EXPECT_EQ(second->order_id, first->order_id);

  EXPECT_EQ(order_store_.Orders().size(), 1U);
  EXPECT_EQ(orders_.create_calls(), 1);
  EXPECT_EQ(Auths().size(), 1U);
  EXPECT_EQ(warehouse_.Reservations().size(), 2U);
  EXPECT_EQ(ActiveReserved(), 3);
  EXPECT_EQ(CartOf("c1"), completed);
  EXPECT_EQ(store_.Outbox().size(), 2U);
}

// ---- P1-CC-01 / EC-08: item without a warehouse id ----

TEST_F(CheckoutServiceTest, ItemWithoutWarehouseReservesPhantomPoolAsReviewed) {
  profile_.SetAsReviewed(FindingId("EC-08"));
  NewCart("c1", {CartItem{"sku-1", 2, std::nullopt}});
  auto result = Checkout("c1", Card());
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  ASSERT_EQ(warehouse_.Reservations().size(), 1U);
  EXPECT_EQ(warehouse_.Reservations()[0].warehouse_id, "");
  EXPECT_EQ(ActiveReserved("sku-1", ""), 2);      // the phantom pool
  EXPECT_EQ(ActiveReserved("sku-1", "wh-1"), 0);  // the real stock holds nothing for it
  const Order* order = OrderOf(result->order_id);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->status, OrderStatus::kPending);
  ASSERT_EQ(order->items.size(), 1U);
  EXPECT_EQ(order->items[0].warehouse_id, "");
  EXPECT_EQ(CartOf("c1").status, CartStatus::kCompleted);
}

TEST_F(CheckoutServiceTest, ItemWithoutWarehouseIsRefusedAndCompensatedWhenFixed) {
  NewCart("c1", {CartItem{"sku-2", 1, "wh-1"}, CartItem{"sku-1", 2, std::nullopt}});
  const Preview preview = PreviewOf("c1", Card());
  auto result = Confirm("c1", preview, Card());
  EXPECT_EQ(result.code(), Code::kInvalidArgument);

  EXPECT_TRUE(warehouse_.Reservations().empty());  // refused before the first reservation
  ASSERT_EQ(Auths().size(), 1U);
  EXPECT_EQ(Auths()[0].status, AuthStatus::kVoided);
  ExpectCompensated("c1", preview.cart_version);
  EXPECT_TRUE(CompensationRows().empty());
}

// ---- P1-CC-02 / M-03: reservation TTL ----

TEST_F(CheckoutServiceTest, ReservationTtlIsTheCheckoutConstantAsReviewed) {
  profile_.SetAsReviewed(FindingId("M-03"));
  config_.order.reservation_timeout_minutes = 45;
  StandardCart("c1");
  ASSERT_TRUE(Checkout("c1", Card()).ok());
  ASSERT_EQ(warehouse_.Reservations().size(), 2U);
  for (const fakes::Reservation& r : warehouse_.Reservations()) {
    EXPECT_EQ(r.expires_at - r.created_at, 15 * kMinuteUs);
    EXPECT_EQ(r.expires_at - r.created_at,
              config_.checkout.reservation_payment_ttl_minutes * kMinuteUs);
  }
}

TEST_F(CheckoutServiceTest, ReservationTtlFollowsTheOrderConfigWhenFixed) {
  config_.order.reservation_timeout_minutes = 45;
  StandardCart("c1");
  ASSERT_TRUE(Checkout("c1", Card()).ok());
  ASSERT_EQ(warehouse_.Reservations().size(), 2U);
  for (const fakes::Reservation& r : warehouse_.Reservations()) {
    EXPECT_EQ(r.expires_at - r.created_at, 45 * kMinuteUs);
  }
}

// ---- P2-CC-04 / EC-04: promo expiring during checkout ----

// A promo expired between preview and confirm fails step 2's re-validation in both profiles,
// before any side effect: the switch only matters when it expires during the saga (below).
TEST_F(CheckoutServiceTest, PromoExpiredBeforeConfirmFailsRevalidationInBothProfiles) {
  for (bool fixed : {true, false}) {
    SCOPED_TRACE(fixed ? "fixed" : "as reviewed");
    const std::string cart_id = fixed ? "fixed" : "reviewed";
    const std::string code = "SALE-" + cart_id;
    if (!fixed) profile_.SetAsReviewed(FindingId("EC-04"));
    AddPromotion(code, 10'000 * kVnd);
    StandardCart(cart_id);
    CheckoutChoice choice;
    choice.promo_codes = {code};
    const Preview preview = PreviewOf(cart_id, choice);
    EXPECT_EQ(preview.totals.discount, 10'000 * kVnd);
    ExpirePromotion(code);

    auto result = Confirm(cart_id, preview, choice);
    EXPECT_EQ(result.code(), Code::kFailedPrecondition);
    EXPECT_EQ(promotions_.UsageCount(code), 0);
    EXPECT_TRUE(Auths().empty());
    EXPECT_TRUE(warehouse_.Reservations().empty());
    EXPECT_TRUE(order_store_.Orders().empty());
    EXPECT_EQ(CartOf(cart_id).status, CartStatus::kActive);
    EXPECT_TRUE(LiveLockKeys().empty());
  }
}

TEST_F(CheckoutServiceTest, PromoExpiringDuringCheckoutLeaksBudgetAsReviewed) {
  profile_.SetAsReviewed(FindingId("EC-04"));
  AddPromotion("SALE", 10'000 * kVnd);
  StandardCart("c1");
  CheckoutChoice choice;
  choice.promo_codes = {"SALE"};
  hooked_fraud_.SetBefore([&] { ExpirePromotion("SALE"); });  // after step 2 priced it

  auto result = Checkout("c1", choice);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Order* order = OrderOf(result->order_id);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->discount, 10'000 * kVnd);
  EXPECT_EQ(order->total, kStandardSubtotal + kStandardShipping - 10'000 * kVnd);
  EXPECT_EQ(order->promo_codes, std::vector<std::string>{"SALE"});
  // The budget never paid for it.
  EXPECT_EQ(promotions_.UsageCount("SALE"), 0);
  EXPECT_EQ(promotions_.DiscountGranted("SALE"), 0);
  auto rows = CompensationRows(CompensationKind::kApplyPromotion);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].subject, "SALE");
  EXPECT_EQ(rows[0].fields.at("reference"), order->checkout_attempt);
  EXPECT_EQ(order->checkout_attempt.rfind(SessionOf("c1") + ":v", 0), 0U);
  EXPECT_EQ(rows[0].fields.at("discount"), std::to_string(10'000 * kVnd));
  EXPECT_EQ(rows[0].max_attempts, config_.checkout.promotion_max_retries);
  EXPECT_EQ(CartOf("c1").status, CartStatus::kCompleted);
}

TEST_F(CheckoutServiceTest, PromoExpiringDuringCheckoutFailsItCleanlyWhenFixed) {
  AddPromotion("SALE", 10'000 * kVnd);
  StandardCart("c1");
  CheckoutChoice choice;
  choice.promo_codes = {"SALE"};
  hooked_fraud_.SetBefore([&] { ExpirePromotion("SALE"); });
  const Preview preview = PreviewOf("c1", choice);

  auto result = Confirm("c1", preview, choice);
  EXPECT_EQ(result.code(), Code::kFailedPrecondition);
  EXPECT_EQ(promotions_.UsageCount("SALE"), 0);
  EXPECT_EQ(promotions_.DiscountGranted("SALE"), 0);
  ASSERT_EQ(warehouse_.Reservations().size(), 2U);  // reserved, then released
  ASSERT_EQ(Auths().size(), 1U);
  ExpectCompensated("c1", preview.cart_version);
  EXPECT_TRUE(CompensationRows().empty());
}

// ---- P2-CC-05 / EC-06: rollback of a partial reservation whose release fails ----

class PartialReservationTest : public CheckoutServiceTest {
 protected:
  // sku-1 reserves, sku-2 runs out after the cart was filled, and Release fails.
  Result<ConfirmResult> ConfirmWithFailedRollback() {
    StandardCart("c1");
    const Preview preview = PreviewOf("c1", Card());
    EXPECT_EQ(warehouse_.SellElsewhere("sku-2", "wh-1", static_cast<std::int32_t>(kStockPerSku)),
              kStockPerSku);
    flaky_warehouse_.FailReleases(true);
    previewed_version_ = preview.cart_version;
    return Confirm("c1", preview, Card());
  }
  std::int64_t previewed_version_ = 0;
};

TEST_F(PartialReservationTest, FailedRollbackReleaseIsSwallowedAsReviewed) {
  profile_.SetAsReviewed(FindingId("EC-06"));
  auto result = ConfirmWithFailedRollback();
  EXPECT_EQ(result.code(), Code::kInsufficient);

  EXPECT_TRUE(CompensationRows().empty());  // the error is dropped
  ASSERT_EQ(warehouse_.Reservations().size(), 1U);
  EXPECT_EQ(warehouse_.Reservations()[0].status, fakes::ReservationStatus::kActive);
  EXPECT_EQ(ActiveReserved("sku-1", "wh-1"), 2);  // leaked until its TTL lapses
  ASSERT_EQ(Auths().size(), 1U);
  EXPECT_EQ(Auths()[0].status, AuthStatus::kVoided);
  EXPECT_EQ(CartOf("c1").status, CartStatus::kActive);
  EXPECT_TRUE(order_store_.Orders().empty());
}

TEST_F(PartialReservationTest, FailedRollbackReleaseIsQueuedWhenFixed) {
  auto result = ConfirmWithFailedRollback();
  EXPECT_EQ(result.code(), Code::kInsufficient);

  ASSERT_EQ(warehouse_.Reservations().size(), 1U);
  EXPECT_EQ(ActiveReserved("sku-1", "wh-1"), 2);  // still held until the worker's retry
  auto rows = CompensationRows(CompensationKind::kReleaseReservation);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].subject, warehouse_.Reservations()[0].id);
  EXPECT_EQ(rows[0].max_attempts, config_.checkout.release_max_retries);
  EXPECT_EQ(rows[0].status, CompensationStatus::kPending);
  EXPECT_EQ(CompensationRows().size(), 1U);
  ASSERT_EQ(Auths().size(), 1U);
  EXPECT_EQ(Auths()[0].status, AuthStatus::kVoided);
  EXPECT_EQ(CartOf("c1").status, CartStatus::kActive);
  EXPECT_EQ(CartOf("c1").version, previewed_version_ + 2);
  EXPECT_TRUE(order_store_.Orders().empty());
}

// ---- SIM-11: a reservation the saga never heard, its lookups all failing ----

TEST_F(CheckoutServiceTest, UnheardReservationIsQueuedForReleaseByReferenceWhenFixedSim11) {
  for (bool fixed : {true, false}) {
    const std::string cart_id = fixed ? "c-fixed" : "c-reviewed";
    profile_ = Profile::AllFixed();
    if (!fixed) profile_.SetAsReviewed(FindingId("SIM-11"));
    StandardCart(cart_id);
    const std::size_t reservations_before = warehouse_.Reservations().size();
    const std::size_t rows_before = CompensationRows().size();
    flaky_warehouse_.TimeOutReserveThenGoDown();
    auto result = Checkout(cart_id, Card());
    flaky_warehouse_.ComeBack();
    EXPECT_EQ(result.code(), Code::kTimeout);
    EXPECT_EQ(CartOf(cart_id).status, CartStatus::kActive);
    // The first reserve landed: 2 x sku-1 held, under a reference the saga never heard back.
    ASSERT_EQ(warehouse_.Reservations().size(), reservations_before + 1);
    const fakes::Reservation& made = warehouse_.Reservations().back();
    EXPECT_EQ(made.status, fakes::ReservationStatus::kActive);
    auto rows = CompensationRows(CompensationKind::kReleaseReservationByReference);
    if (!fixed) {
      EXPECT_EQ(CompensationRows().size(), rows_before);  // nothing will release it before its TTL
      continue;
    }
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0].subject, made.reference);
    EXPECT_EQ(rows[0].fields.at("sku"), made.sku);
    EXPECT_EQ(rows[0].fields.at("warehouse_id"), made.warehouse_id);
    EXPECT_EQ(rows[0].fields.at("quantity"), std::to_string(made.quantity));
    EXPECT_EQ(rows[0].max_attempts, config_.checkout.release_max_retries);
  }
}

// ---- P2-CC-03 / EC-12: loyalty points ----

class LoyaltyTest : public CheckoutServiceTest {
 protected:
  LoyaltyTest() {
    loyalty_.SetBalance(kCustomer, 500);
    redeem_.points_to_redeem = 200;
  }
  CheckoutChoice redeem_;
};

TEST_F(LoyaltyTest, PointsAreRedeemedWhenFixed) {
  StandardCart("c1");
  const Preview without = PreviewOf("c1", Card());
  const Preview with = PreviewOf("c1", redeem_);
  EXPECT_EQ(with.totals.points_redeemed, 200);
  EXPECT_EQ(with.totals.points_value, 200 * kVnd);
  EXPECT_EQ(without.totals.total - with.totals.total, 200 * kVnd);
  EXPECT_EQ(loyalty_.BalanceOf(kCustomer), 500);  // preview redeems nothing

  auto result = Confirm("c1", with, redeem_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(loyalty_.BalanceOf(kCustomer), 300);
  const Order* order = OrderOf(result->order_id);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->checkout_attempt, SessionOf("c1") + ":v" + std::to_string(with.cart_version));
  EXPECT_EQ(loyalty_.RedeemedActive(order->checkout_attempt), 200);
  EXPECT_EQ(order->points_redeemed, 200);
  EXPECT_EQ(order->points_value, 200 * kVnd);
  EXPECT_EQ(order->total, with.totals.total);
  EXPECT_EQ(order->total, Sum(with.totals));
  ASSERT_EQ(Auths().size(), 1U);
  EXPECT_EQ(Auths()[0].amount, with.totals.total);
}

// Asking for more points than the balance holds is refused at preview, before any effect.
TEST_F(LoyaltyTest, PointsBeyondTheBalanceAreRefusedAtPreview) {
  StandardCart("c1");
  CheckoutChoice greedy = redeem_;
  greedy.points_to_redeem = 501;  // the balance is 500
  auto preview = RunSync(Service().PreviewCheckout("c1", greedy));
  EXPECT_EQ(preview.code(), Code::kInsufficient);
  greedy.points_to_redeem = 500;  // all of it is fine
  auto whole = RunSync(Service().PreviewCheckout("c1", greedy));
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->totals.points_redeemed, 500);
  EXPECT_EQ(loyalty_.BalanceOf(kCustomer), 500);
  EXPECT_TRUE(loyalty_.Redemptions().empty());
}

TEST_F(LoyaltyTest, PointsAreNeverRedeemedAsReviewed) {
  profile_.SetAsReviewed(FindingId("EC-12"));
  StandardCart("c1");
  const Preview with = PreviewOf("c1", redeem_);
  EXPECT_EQ(with.totals.points_redeemed, 0);
  EXPECT_EQ(with.totals.points_value, 0);
  EXPECT_EQ(with.totals.total, kStandardSubtotal + kStandardShipping);

  auto result = Confirm("c1", with, redeem_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(loyalty_.BalanceOf(kCustomer), 500);
  EXPECT_TRUE(loyalty_.Redemptions().empty());
  const Order* order = OrderOf(result->order_id);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->points_redeemed, 0);
  EXPECT_EQ(order->total, kStandardSubtotal + kStandardShipping);
}

TEST_F(LoyaltyTest, PointsAreGivenBackWhenOrderCreationFails) {
  StandardCart("c1");
  const Preview with = PreviewOf("c1", redeem_);
  orders_.FailCreates(FailingOrders::kAlways);

  auto result = Confirm("c1", with, redeem_);
  EXPECT_EQ(result.code(), Code::kUnavailable);
  EXPECT_EQ(loyalty_.BalanceOf(kCustomer), 500);
  ASSERT_EQ(loyalty_.Redemptions().size(), 1U);
  const std::string attempt = SessionOf("c1") + ":v" + std::to_string(with.cart_version);
  EXPECT_TRUE(loyalty_.Redemptions().at(attempt).given_back);
  EXPECT_EQ(loyalty_.RedeemedActive(attempt), 0);
  ExpectCompensated("c1", with.cart_version);
}

// ---- R-1.5: shipping fee changed between preview and confirm ----

constexpr fakes::ShippingRate kNewRate{30'000 * kVnd, kShippingPerItem};

class ShippingRateTest : public CheckoutServiceTest {
 protected:
  // The carrier raises its rates (for VN and for every other destination).
  void ChangeShippingRates() {
    shipping_.SetRate("", kNewRate);
    shipping_.SetRate("VN", kNewRate);
  }
};

TEST_F(ShippingRateTest, ShippingFeeChangeIsRejectedWhenFixed) {
  StandardCart("c1");
  const Preview preview = PreviewOf("c1", Card());
  ChangeShippingRates();

  auto result = Confirm("c1", preview, Card());
  EXPECT_EQ(result.code(), Code::kRejected);
  EXPECT_NE(result.status().message().find("totals changed"), std::string::npos)
      << result.status().ToString();
  EXPECT_TRUE(warehouse_.Reservations().empty());
  EXPECT_TRUE(Auths().empty());
  ExpectCompensated("c1", preview.cart_version);
}

TEST_F(ShippingRateTest, ShippingFeeChangeGoesIntoTheOrderAsReviewed) {
  profile_.SetAsReviewed(FindingId("R-1.5"));
  StandardCart("c1");
  const Preview preview = PreviewOf("c1", Card());
  ChangeShippingRates();
  const Money new_fee = shipping_.FeeNow("VN", 3);
  ASSERT_NE(new_fee, preview.totals.shipping_fee);

  auto result = Confirm("c1", preview, Card());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Order* order = OrderOf(result->order_id);
  ASSERT_NE(order, nullptr);
  EXPECT_NE(order->shipping_fee, preview.totals.shipping_fee);  // a fee the customer never saw
  EXPECT_EQ(order->shipping_fee, new_fee);
  EXPECT_EQ(order->total, kStandardSubtotal + new_fee);
  ASSERT_EQ(Auths().size(), 1U);
  EXPECT_EQ(Auths()[0].amount, order->total);
}

// ---- Step 6: order creation fails ----

TEST_F(CheckoutServiceTest, FailedOrderCreationReleasesStockAndVoidsAuthorization) {
  StandardCart("c1");
  const Preview preview = PreviewOf("c1", Card());
  orders_.FailCreates(FailingOrders::kAlways);

  auto result = Confirm("c1", preview, Card());
  EXPECT_EQ(result.code(), Code::kUnavailable);
  ASSERT_EQ(warehouse_.Reservations().size(), 2U);
  ASSERT_EQ(Auths().size(), 1U);
  ExpectCompensated("c1", preview.cart_version);  // includes: idempotency lock released
  Cart locked = CartOf("c1");
  locked.version = preview.cart_version;  // the lock key names the version checkout started from
  EXPECT_FALSE(locks_.LiveEntry(IdempotencyLockKey(locked), clock_.Now()).has_value());
  EXPECT_TRUE(CompensationRows().empty());
}

TEST_F(CheckoutServiceTest, FailedVoidIsQueuedForTheWorker) {
  StandardCart("c1");
  const Preview preview = PreviewOf("c1", Card());
  orders_.FailCreates(FailingOrders::kAlways);
  gateway_.FailVoids(true);

  auto result = Confirm("c1", preview, Card());
  EXPECT_EQ(result.code(), Code::kUnavailable);
  EXPECT_EQ(ActiveReserved(), 0);
  ASSERT_EQ(Auths().size(), 1U);
  EXPECT_EQ(Auths()[0].status, AuthStatus::kAuthorized);  // still held until the worker voids it
  auto rows = CompensationRows();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].kind, CompensationKind::kVoidAuthorization);
  EXPECT_EQ(rows[0].subject, Auths()[0].id);
  EXPECT_EQ(rows[0].max_attempts, 5);
  EXPECT_EQ(rows[0].attempts, 0);
  EXPECT_EQ(rows[0].status, CompensationStatus::kPending);
  EXPECT_EQ(CartOf("c1").status, CartStatus::kActive);
  EXPECT_TRUE(LiveLockKeys().empty());
  EXPECT_TRUE(order_store_.Orders().empty());
}

// ---- Single-use coupons ----

TEST_F(CheckoutServiceTest, SingleUseCouponHeldByAnotherCheckoutConflicts) {
  AddPromotion("ONCE", 5'000 * kVnd, /*single_use=*/true);
  StandardCart("c1");
  StandardCart("c2");
  CheckoutChoice choice;
  choice.promo_codes = {"ONCE"};
  const Preview preview = PreviewOf("c2", choice);
  // c1's checkout holds the coupon lock while c2 confirms.
  ASSERT_TRUE(
      RunSync(locks_.TryAcquire(CouponLockKey("ONCE"), SessionOf("c1"), 15 * kMinuteUs)).value());

  auto result = Confirm("c2", preview, choice);
  EXPECT_EQ(result.code(), Code::kConflict);
  EXPECT_TRUE(Auths().empty());
  EXPECT_TRUE(warehouse_.Reservations().empty());
  EXPECT_TRUE(order_store_.Orders().empty());
  EXPECT_EQ(promotions_.UsageCount("ONCE"), 0);
  EXPECT_EQ(CartOf("c2").status, CartStatus::kActive);
  // The compensation released only c2's own locks: c1 still holds the coupon.
  EXPECT_EQ(LiveLockKeys(), std::vector<std::string>{CouponLockKey("ONCE")});
  EXPECT_EQ(locks_.LiveEntry(CouponLockKey("ONCE"), clock_.Now())->value, SessionOf("c1"));
}

TEST_F(CheckoutServiceTest, SingleUseCouponIsUsedOnceWhenFixed) {
  AddPromotion("ONCE", 5'000 * kVnd, /*single_use=*/true);
  StandardCart("c1");
  StandardCart("c2");
  CheckoutChoice choice;
  choice.promo_codes = {"ONCE"};
  const Preview preview2 = PreviewOf("c2", choice);

  auto first = Checkout("c1", choice);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(promotions_.UsageCount("ONCE"), 1);

  auto second = Confirm("c2", preview2, choice);
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.code(), Code::kFailedPrecondition);  // the coupon is spent
  EXPECT_EQ(promotions_.UsageCount("ONCE"), 1);
  EXPECT_EQ(order_store_.Orders().size(), 1U);
  EXPECT_EQ(Auths().size(), 1U);
  EXPECT_EQ(CartOf("c2").status, CartStatus::kActive);
}

// ---- A retry after a compensated failure is a new attempt ----

// Found while writing these tests: the side effects were keyed by the session id alone, so a
// retry got back the voided authorization and the released reservations. They are now keyed by
// CheckoutAttempt (session and cart version), and a retry holds live ones.
TEST_F(CheckoutServiceTest, RetryAfterCompensationHoldsLiveAuthorizationAndStock) {
  StandardCart("c1");
  orders_.FailCreates(1);  // the first attempt fails at step 6 and is compensated
  ASSERT_EQ(Checkout("c1", Card()).code(), Code::kUnavailable);
  ASSERT_EQ(CartOf("c1").status, CartStatus::kActive);

  auto retry = Checkout("c1", Card());
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  const Order* order = OrderOf(retry->order_id);
  ASSERT_NE(order, nullptr);
  auto authorization = payment_.FindAuthorization(order->authorization_id);
  ASSERT_TRUE(authorization.has_value());
  EXPECT_EQ(authorization->status, AuthStatus::kAuthorized);
  EXPECT_EQ(ActiveReserved(), 3);
  for (const OrderItem& item : order->items) {
    const fakes::Reservation* reservation = warehouse_.FindReservation(item.reservation_id);
    ASSERT_NE(reservation, nullptr);
    EXPECT_EQ(reservation->status, fakes::ReservationStatus::kActive);
  }
}

// Same root cause for points: with the session as reference, Redeem of a retry deducted nothing
// while the order carried the discount (LOYALTY-CONSERVED).
TEST_F(LoyaltyTest, RetryAfterCompensationRedeemsPointsAgain) {
  StandardCart("c1");
  orders_.FailCreates(1);
  ASSERT_EQ(Checkout("c1", redeem_).code(), Code::kUnavailable);
  ASSERT_EQ(loyalty_.BalanceOf(kCustomer), 500);

  auto retry = Checkout("c1", redeem_);
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  ASSERT_EQ(OrderOf(retry->order_id)->points_redeemed, 200);
  EXPECT_EQ(loyalty_.BalanceOf(kCustomer), 300);
}

}  // namespace
}  // namespace csim

namespace csim {
namespace {

// ---- SIM-02: a claim that timed out after its effect ----

TEST_F(CheckoutServiceTest, TimedOutPromotionClaimIsReleasedWhenFixedKeptAsReviewed) {
  for (bool fixed : {true, false}) {
    const std::string cart_id = fixed ? "c-fixed" : "c-reviewed";
    const std::string code = fixed ? "SALE-F" : "SALE-R";
    profile_ = Profile::AllFixed();
    if (!fixed) profile_.SetAsReviewed(FindingId("SIM-02"));
    AddPromotion(code, 10'000 * kVnd);
    StandardCart(cart_id);
    CheckoutChoice choice;
    choice.promo_codes = {code};
    ambiguous_promotions_.TimeoutClaims(true);
    auto result = Checkout(cart_id, choice);
    ambiguous_promotions_.TimeoutClaims(false);
    EXPECT_EQ(result.code(), Code::kTimeout);
    EXPECT_TRUE(order_store_.Orders().empty());
    EXPECT_EQ(CartOf(cart_id).status, CartStatus::kActive);
    // The usage did land at the promotions service; only the fix gives it back.
    EXPECT_EQ(promotions_.UsageCount(code), fixed ? 0 : 1);
  }
}

}  // namespace
}  // namespace csim
