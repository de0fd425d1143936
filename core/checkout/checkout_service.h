#pragma once
// The checkout service: carts, preview, and ConfirmCheckout, the saga of review section 3.1.
// Stateless between calls: carts, locks and compensations live behind ports, so a crash loses only
// the calls in flight, and the saga's compensations are what a crash leaves to the workers.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/findings.h"
#include "core/ports/alerts.h"
#include "core/ports/checkout_store.h"
#include "core/ports/clock.h"
#include "core/ports/fraud.h"
#include "core/ports/locks.h"
#include "core/ports/loyalty.h"
#include "core/ports/order_client.h"
#include "core/ports/payment.h"
#include "core/ports/pricing.h"
#include "core/ports/promotions.h"
#include "core/ports/shipping.h"
#include "core/ports/warehouse.h"

namespace csim {

struct CheckoutPorts {
  Clock& clock;
  CheckoutStore& store;
  PricingService& pricing;
  ShippingRates& shipping;
  FraudService& fraud;
  PaymentGateway& payment;
  WarehouseInventory& warehouse;
  Promotions& promotions;
  Loyalty& loyalty;
  LockStore& locks;
  OrderClient& orders;
  Alerts& alerts;
};

// Finding M-01 / P2-CC-02: the code constant DefaultCountryCode of the review's
// constants/business.go. The review's config.yaml says default_country "US" and the config value
// wins, so the constant only misleads (DefaultCountryAudit).
inline constexpr std::string_view kDefaultCountryCode = "VN";

// What the customer asks for at preview and again at confirm.
struct CheckoutChoice {
  std::vector<std::string> promo_codes;
  std::int64_t points_to_redeem = 0;
  PaymentMethod payment_method = PaymentMethod::kCard;
  std::string country;  // shipping destination; "" = the default country (finding M-01)
};

struct Totals {
  Money subtotal = 0;
  Money shipping_fee = 0;
  Money discount = 0;
  std::int64_t points_redeemed = 0;
  Money points_value = 0;
  Money total = 0;
  bool operator==(const Totals&) const = default;
};

struct Preview {
  std::int64_t cart_version = 0;
  Totals totals;
};

struct ConfirmRequest {
  std::string cart_id;
  std::int64_t cart_version = 0;  // the version the customer previewed (EC-01)
  CheckoutChoice choice;
  Totals confirmed;  // the totals the customer saw and accepted
};

struct ConfirmResult {
  std::string order_id;
  Totals totals;
  bool replayed = false;  // a repeated confirm answered from the remembered result
};

class CheckoutService {
 public:
  CheckoutService(CheckoutPorts ports, const Config& config, const Profile& profile)
      : ports_(ports), config_(config), profile_(profile) {}

  // A new active cart. kConflict if the id exists.
  Task<Status> CreateCart(const std::string& cart_id, const std::string& session_id,
                          const std::string& customer_id, bool guest);
  // Adds (or increases) an item after a soft stock check that reserves nothing.
  Task<Status> AddItem(const std::string& cart_id, const CartItem& item);
  // Current totals of the cart for `choice`.
  Task<Result<Preview>> PreviewCheckout(const std::string& cart_id, const CheckoutChoice& choice);
  // The saga: lock, validate, price, fraud, authorize, reserve, create the order, promotions,
  // finalize. Every failure after a side effect compensates it (or queues its compensation).
  Task<Result<ConfirmResult>> ConfirmCheckout(const ConfirmRequest& request);

  // The topics checkout declares as published (its topic constants), for the topology audit:
  // cart.converted and orders.payment.capture_requested; as reviewed (M-04 / P2-CC-01) also
  // orders.checkout.completed, declared and never published. Fixed: the dead constant is gone.
  std::vector<std::string_view> DeclaredTopics() const;

  // The audit of order status tables (P1-CC-05 / M-05): as reviewed checkout keeps its own copy of
  // the order transitions (constants.go), and every pair where it disagrees with the order side's
  // table is listed ("processing -> partially_shipped: ..."); fixed, checkout keeps no copy and
  // the list is empty. The review finds no checkout code that validates with the copy, so nothing
  // in a run behaves differently: the audit is what detects it.
  std::vector<std::string> TransitionTableAudit() const;

  // The audit of the shipping-country defaults (M-01 / P2-CC-02): as reviewed the code constant
  // DefaultCountryCode ("VN") stands beside config.checkout.default_country, which wins, and the
  // audit names the disagreement when they differ; fixed, the constant is gone and the list is
  // empty. Either way the configured value is the one used.
  std::vector<std::string> DefaultCountryAudit() const;

 private:
  friend class ConfirmSaga;
  CheckoutPorts ports_;
  const Config& config_;
  const Profile& profile_;
};

// Keys in the LockStore (the Redis role).
std::string IdempotencyLockKey(const Cart& cart);
std::string IdempotencyResultKey(const std::string& session_id);
std::string CouponLockKey(const std::string& code);
// The TTL the saga reserves stock with. A lookup that may make a reservation the saga lost makes it
// the same way, so a fixed world holds one TTL only (P1-CC-02).
DurationUs SagaReservationTtl(const Config& config, const Profile& profile);
// The key of one ConfirmCheckout attempt's side effects: "<session>:v<cart version>" of the cart
// as the customer confirmed it. Authorizations ("auth:<attempt>"), reservations
// ("<attempt>:<item>"), promotion usages and point redemptions are keyed by it.
std::string CheckoutAttempt(const Cart& cart);
// The same key from its parts: what a customer who previewed `cart_version` of the cart of
// `session_id` will confirm under. REQUIRES: a session and a version >= 1.
std::string CheckoutAttemptKey(const std::string& session_id, std::int64_t cart_version);
// The attempt of a cart in kCheckout: StartSession moved it there from version v to v + 1, and the
// attempt is keyed by v. REQUIRES: cart.status == kCheckout.
std::string AttemptInProgress(const Cart& cart);
// The gateway idempotency key of an attempt's authorization: "auth:<attempt>".
std::string AuthorizationKey(const std::string& attempt);
// The compensation row that has FailedCompensationWorker look up, by its reference, the
// reservation `request` made or may have made, and release it (SIM-11, SIM-19).
FailedCompensation ReleaseByReferenceRow(const ReserveRequest& request, std::int32_t max_attempts,
                                         TimeUs now);
// The finalization transaction (step 8): `cart` completed with `order`, and the outbox rows
// cart.converted and, for a live card order, orders.payment.capture_requested. The ids are fixed
// per cart and order, so the worker's retry writes the very same events.
CheckoutWrite CompleteCartWrite(const Cart& cart, const Order& order, TimeUs now);

}  // namespace csim
