#pragma once
// A forwarding wrapper per port (LevelDB's EnvWrapper idea): each call passes its fault point, so
// latency, faults and the trace apply to any implementation, fake or real, without core/ or the
// fakes knowing. Point names are "<port>.<call>".

#include <string>
#include <vector>

#include "core/ports/alerts.h"
#include "core/ports/checkout_store.h"
#include "core/ports/event_bus.h"
#include "core/ports/fraud.h"
#include "core/ports/fulfillment.h"
#include "core/ports/locks.h"
#include "core/ports/loyalty.h"
#include "core/ports/order_client.h"
#include "core/ports/order_store.h"
#include "core/ports/payment.h"
#include "core/ports/pricing.h"
#include "core/ports/promotions.h"
#include "core/ports/shipping.h"
#include "core/ports/warehouse.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "sim/detail_text.h"
#include "sim/faults.h"

namespace csim::sim {

class FaultyPricing final : public PricingService {
 public:
  FaultyPricing(FaultLayer& layer, PricingService& inner)
      : layer_(layer), inner_(inner), prices_(layer.Point("pricing.unit_prices")) {}
  Task<Result<std::map<std::string, Money>>> UnitPrices(
      const std::vector<std::string>& skus) override {
    co_return co_await layer_.Call<Result<std::map<std::string, Money>>>(
        prices_, [&] { return inner_.UnitPrices(skus); }, DetailText("skus=", skus.size()));
  }

 private:
  FaultLayer& layer_;
  PricingService& inner_;
  FaultPoint* prices_;
};

class FaultyShipping final : public ShippingRates {
 public:
  FaultyShipping(FaultLayer& layer, ShippingRates& inner)
      : layer_(layer), inner_(inner), fee_(layer.Point("shipping.fee")) {}
  Task<Result<Money>> Fee(const std::string& country, std::int32_t item_count) override {
    co_return co_await layer_.Call<Result<Money>>(
        fee_, [&] { return inner_.Fee(country, item_count); },
        DetailText("country=", country, " items=", item_count));
  }

 private:
  FaultLayer& layer_;
  ShippingRates& inner_;
  FaultPoint* fee_;
};

class FaultyFraud final : public FraudService {
 public:
  FaultyFraud(FaultLayer& layer, FraudService& inner)
      : layer_(layer), inner_(inner), check_(layer.Point("fraud.precheck")) {}
  Task<Status> PreCheck(const std::string& customer_id, Money amount) override {
    co_return co_await layer_.Call<Status>(
        check_, [&] { return inner_.PreCheck(customer_id, amount); },
        DetailText("customer=", customer_id, " amount=", amount));
  }

 private:
  FaultLayer& layer_;
  FraudService& inner_;
  FaultPoint* check_;
};

class FaultyFulfillment final : public Fulfillment {
 public:
  FaultyFulfillment(FaultLayer& layer, Fulfillment& inner)
      : layer_(layer), inner_(inner), call_off_(layer.Point("fulfillment.call_off")) {}
  Task<Result<TimeUs>> CallOff(const std::string& order_id) override {
    co_return co_await layer_.Call<Result<TimeUs>>(
        call_off_, [&] { return inner_.CallOff(order_id); }, order_id);
  }

 private:
  FaultLayer& layer_;
  Fulfillment& inner_;
  FaultPoint* call_off_;
};

class FaultyPayment final : public PaymentGateway {
 public:
  FaultyPayment(FaultLayer& layer, PaymentGateway& inner)
      : layer_(layer),
        inner_(inner),
        authorize_(layer.Point("payment.authorize")),
        lookup_(layer.Point("payment.lookup")),
        void_(layer.Point("payment.void")),
        capture_(layer.Point("payment.capture")),
        refund_(layer.Point("payment.refund")) {}
  Task<Result<std::string>> Authorize(const std::string& key, const std::string& customer_id,
                                      Money amount) override {
    co_return co_await layer_.Call<Result<std::string>>(
        authorize_, [&] { return inner_.Authorize(key, customer_id, amount); },
        DetailText("key=", key, " amount=", amount));
  }
  Task<Result<std::string>> LookupAuthorization(const std::string& key) override {
    co_return co_await layer_.Call<Result<std::string>>(
        lookup_, [&] { return inner_.LookupAuthorization(key); }, "key=" + key);
  }
  Task<Status> Void(const std::string& authorization_id) override {
    co_return co_await layer_.Call<Status>(
        void_, [&] { return inner_.Void(authorization_id); }, authorization_id);
  }
  Task<Status> Capture(const std::string& authorization_id, const std::string& order_id,
                       Money amount) override {
    co_return co_await layer_.Call<Status>(
        capture_, [&] { return inner_.Capture(authorization_id, order_id, amount); },
        DetailText(authorization_id, " order=", order_id, " amount=", amount));
  }
  Task<Status> Refund(const std::string& authorization_id, const std::string& order_id,
                      Money amount) override {
    co_return co_await layer_.Call<Status>(
        refund_, [&] { return inner_.Refund(authorization_id, order_id, amount); },
        DetailText(authorization_id, " order=", order_id, " amount=", amount));
  }

 private:
  FaultLayer& layer_;
  PaymentGateway& inner_;
  FaultPoint *authorize_, *lookup_, *void_, *capture_, *refund_;
};

class FaultyWarehouse final : public WarehouseInventory {
 public:
  FaultyWarehouse(FaultLayer& layer, WarehouseInventory& inner, std::string prefix = "warehouse")
      : layer_(layer),
        inner_(inner),
        reserve_(layer.Point(prefix + ".reserve")),
        confirm_(layer.Point(prefix + ".confirm")),
        release_(layer.Point(prefix + ".release")),
        restock_(layer.Point(prefix + ".restock")),
        available_(layer.Point(prefix + ".available")) {}
  Task<Result<std::string>> ReserveWithTtl(const ReserveRequest& r) override {
    co_return co_await layer_.Call<Result<std::string>>(
        reserve_, [&] { return inner_.ReserveWithTtl(r); },
        DetailText("sku=", r.sku, " wh=", r.warehouse_id, " qty=", r.quantity,
                   " ref=", r.reference));
  }
  Task<Status> Confirm(const std::string& reservation_id) override {
    co_return co_await layer_.Call<Status>(
        confirm_, [&] { return inner_.Confirm(reservation_id); }, reservation_id);
  }
  Task<Status> Release(const std::string& reservation_id) override {
    co_return co_await layer_.Call<Status>(
        release_, [&] { return inner_.Release(reservation_id); }, reservation_id);
  }
  Task<Status> Restock(const std::string& sku, const std::string& warehouse_id,
                       std::int32_t quantity, const std::string& reference) override {
    co_return co_await layer_.Call<Status>(
        restock_, [&] { return inner_.Restock(sku, warehouse_id, quantity, reference); },
        DetailText("sku=", sku, " wh=", warehouse_id, " qty=", quantity, " ref=", reference));
  }
  Task<Result<std::int32_t>> Available(const std::string& sku) override {
    co_return co_await layer_.Call<Result<std::int32_t>>(
        available_, [&] { return inner_.Available(sku); }, "sku=" + sku);
  }

 private:
  FaultLayer& layer_;
  WarehouseInventory& inner_;
  FaultPoint *reserve_, *confirm_, *release_, *restock_, *available_;
};

class FaultyPromotions final : public Promotions {
 public:
  FaultyPromotions(FaultLayer& layer, Promotions& inner)
      : layer_(layer),
        inner_(inner),
        validate_(layer.Point("promotions.validate")),
        claim_(layer.Point("promotions.claim")),
        release_(layer.Point("promotions.release")) {}
  Task<Result<PromoQuote>> Validate(const std::string& code, Money subtotal) override {
    co_return co_await layer_.Call<Result<PromoQuote>>(
        validate_, [&] { return inner_.Validate(code, subtotal); }, "code=" + code);
  }
  Task<Status> ClaimUsage(const std::string& code, const std::string& reference,
                          Money discount) override {
    co_return co_await layer_.Call<Status>(
        claim_, [&] { return inner_.ClaimUsage(code, reference, discount); },
        DetailText("code=", code, " ref=", reference, " discount=", discount));
  }
  Task<Status> ReleaseUsage(const std::string& code, const std::string& reference) override {
    co_return co_await layer_.Call<Status>(
        release_, [&] { return inner_.ReleaseUsage(code, reference); },
        DetailText("code=", code, " ref=", reference));
  }

 private:
  FaultLayer& layer_;
  Promotions& inner_;
  FaultPoint *validate_, *claim_, *release_;
};

class FaultyLoyalty final : public Loyalty {
 public:
  FaultyLoyalty(FaultLayer& layer, Loyalty& inner)
      : layer_(layer),
        inner_(inner),
        balance_(layer.Point("loyalty.balance")),
        redeem_(layer.Point("loyalty.redeem")),
        give_back_(layer.Point("loyalty.give_back")),
        earn_(layer.Point("loyalty.earn")) {}
  Task<Result<std::int64_t>> Balance(const std::string& customer_id) override {
    co_return co_await layer_.Call<Result<std::int64_t>>(
        balance_, [&] { return inner_.Balance(customer_id); }, customer_id);
  }
  Task<Status> Redeem(const std::string& customer_id, std::int64_t points,
                      const std::string& reference) override {
    co_return co_await layer_.Call<Status>(
        redeem_, [&] { return inner_.Redeem(customer_id, points, reference); },
        DetailText(customer_id, " points=", points, " ref=", reference));
  }
  Task<Status> GiveBack(const std::string& customer_id, const std::string& reference) override {
    co_return co_await layer_.Call<Status>(
        give_back_, [&] { return inner_.GiveBack(customer_id, reference); },
        DetailText(customer_id, " ref=", reference));
  }
  Task<Status> Earn(const std::string& customer_id, std::int64_t points,
                    const std::string& reference) override {
    co_return co_await layer_.Call<Status>(
        earn_, [&] { return inner_.Earn(customer_id, points, reference); },
        DetailText(customer_id, " points=", points, " ref=", reference));
  }

 private:
  FaultLayer& layer_;
  Loyalty& inner_;
  FaultPoint *balance_, *redeem_, *give_back_, *earn_;
};

class FaultyLocks final : public LockStore {
 public:
  FaultyLocks(FaultLayer& layer, LockStore& inner)
      : layer_(layer),
        inner_(inner),
        acquire_(layer.Point("locks.acquire")),
        put_(layer.Point("locks.put")),
        get_(layer.Point("locks.get")),
        release_(layer.Point("locks.release")) {}
  Task<Result<bool>> TryAcquire(const std::string& key, const std::string& value,
                                DurationUs ttl_us) override {
    co_return co_await layer_.Call<Result<bool>>(
        acquire_, [&] { return inner_.TryAcquire(key, value, ttl_us); }, key);
  }
  Task<Status> Put(const std::string& key, const std::string& value, DurationUs ttl_us) override {
    co_return co_await layer_.Call<Status>(
        put_, [&] { return inner_.Put(key, value, ttl_us); }, key);
  }
  Task<Result<std::optional<std::string>>> Get(const std::string& key) override {
    co_return co_await layer_.Call<Result<std::optional<std::string>>>(
        get_, [&] { return inner_.Get(key); }, key);
  }
  Task<Status> Release(const std::string& key, const std::string& value) override {
    co_return co_await layer_.Call<Status>(
        release_, [&] { return inner_.Release(key, value); }, key);
  }

 private:
  FaultLayer& layer_;
  LockStore& inner_;
  FaultPoint *acquire_, *put_, *get_, *release_;
};

// The outbox calls both stores share.
template <class Base>
class FaultyOutboxBase : public Base {
 public:
  FaultyOutboxBase(FaultLayer& layer, Base& inner, const std::string& prefix)
      : layer_(layer),
        inner_(inner),
        due_(layer.Point(prefix + ".outbox_due", true)),
        update_(layer.Point(prefix + ".outbox_update")),
        commit_(layer.Point(prefix + ".commit")),
        failed_(layer.Point(prefix + ".outbox_failed", true)),
        pending_(layer.Point(prefix + ".outbox_pending", true, true)) {}
  Task<Result<std::vector<OutboxRow>>> DueOutbox(TimeUs now, std::int32_t limit) override {
    co_return co_await layer_.Call<Result<std::vector<OutboxRow>>>(
        due_, [&] { return inner_.DueOutbox(now, limit); }, "");
  }
  Task<Status> UpdateOutbox(const OutboxRow& row) override {
    co_return co_await layer_.Call<Status>(
        update_, [&] { return inner_.UpdateOutbox(row); },
        DetailText(row.event.id, " ", Name(row.status), " ", row.attempts));
  }
  Task<Result<std::vector<OutboxRow>>> FailedOutbox(std::int32_t limit) override {
    co_return co_await layer_.Call<Result<std::vector<OutboxRow>>>(
        failed_, [&] { return inner_.FailedOutbox(limit); }, "");
  }
  // A read of due rows as DueOutbox is, at its point (one more point would renumber none, but
  // would add a name to every trace).
  Task<Result<std::vector<OutboxRow>>> DueRedrives(TimeUs now, std::int32_t limit) override {
    co_return co_await layer_.Call<Result<std::vector<OutboxRow>>>(
        due_, [&] { return inner_.DueRedrives(now, limit); }, "awaiting_redrive");
  }
  // An observer's read (SIM-37's monitor): a point of its own whose draws move no other stream,
  // so that watching the outbox changes nothing else of the run.
  Task<Result<std::vector<OutboxRow>>> PendingOutbox(TimeUs written_by,
                                                     std::int32_t limit) override {
    co_return co_await layer_.Call<Result<std::vector<OutboxRow>>>(
        pending_, [&] { return inner_.PendingOutbox(written_by, limit); }, "");
  }

 protected:
  FaultLayer& layer_;
  Base& inner_;
  FaultPoint *due_, *update_, *commit_, *failed_, *pending_;
};

class FaultyCheckoutStore final : public FaultyOutboxBase<CheckoutStore> {
 public:
  FaultyCheckoutStore(FaultLayer& layer, CheckoutStore& inner)
      : FaultyOutboxBase(layer, inner, "checkout_db"),
        get_(layer.Point("checkout_db.get_cart")),
        find_(layer.Point("checkout_db.find_carts", true)),
        due_compensations_(layer.Point("checkout_db.due_compensations", true)),
        finished_compensations_(layer.Point("checkout_db.finished_compensations", true)),
        fake_(dynamic_cast<fakes::FakeCheckoutStore*>(&inner)) {}
  Task<Result<Cart>> GetCart(const std::string& cart_id) override {
    co_return co_await layer_.Call<Result<Cart>>(
        get_, [&] { return inner_.GetCart(cart_id); }, cart_id);
  }
  Task<Result<std::vector<Cart>>> FindCarts(const CartQuery& query) override {
    co_return co_await layer_.Call<Result<std::vector<Cart>>>(
        find_, [&] { return inner_.FindCarts(query); }, std::string{Name(query.status)});
  }
  Task<Status> Commit(const CheckoutWrite& write) override {
    // Call awaits the effect's Task at once, while this frame's caller holds `write`: the fake
    // store need not copy it.
    if (fake_ != nullptr) {
      co_return co_await layer_.Call<Status>(
          commit_, [&] { return fake_->CommitAwaitedAtOnce(write); }, Describe(write));
    }
    co_return co_await layer_.Call<Status>(
        commit_, [&] { return inner_.Commit(write); }, Describe(write));
  }
  Task<Result<std::vector<FailedCompensation>>> DueCompensations(TimeUs now,
                                                                 std::int32_t limit) override {
    co_return co_await layer_.Call<Result<std::vector<FailedCompensation>>>(
        due_compensations_, [&] { return inner_.DueCompensations(now, limit); }, "");
  }
  Task<Result<std::vector<FailedCompensation>>> FinishedCompensations(TimeUs touched_before,
                                                                      std::int32_t limit) override {
    co_return co_await layer_.Call<Result<std::vector<FailedCompensation>>>(
        finished_compensations_,
        [&] { return inner_.FinishedCompensations(touched_before, limit); }, "");
  }

 private:
  static std::string Describe(const CheckoutWrite& write);
  FaultPoint *get_, *find_, *due_compensations_, *finished_compensations_;
  fakes::FakeCheckoutStore* fake_;  // the inner store, if it is the fake (null for a real one)
};

class FaultyOrderStore final : public FaultyOutboxBase<OrderStore> {
 public:
  FaultyOrderStore(FaultLayer& layer, OrderStore& inner)
      : FaultyOutboxBase(layer, inner, "order_db"),
        get_(layer.Point("order_db.get_order")),
        by_session_(layer.Point("order_db.find_by_session")),
        find_(layer.Point("order_db.find_orders", true)),
        processed_(layer.Point("order_db.is_processed")),
        fake_(dynamic_cast<fakes::FakeOrderStore*>(&inner)) {}
  Task<Result<Order>> GetOrder(const std::string& order_id) override {
    co_return co_await layer_.Call<Result<Order>>(
        get_, [&] { return inner_.GetOrder(order_id); }, order_id);
  }
  Task<Result<Order>> FindBySession(const std::string& session) override {
    co_return co_await layer_.Call<Result<Order>>(
        by_session_, [&] { return inner_.FindBySession(session); }, session);
  }
  Task<Result<std::vector<Order>>> FindOrders(const OrderQuery& query) override {
    co_return co_await layer_.Call<Result<std::vector<Order>>>(
        find_, [&] { return inner_.FindOrders(query); }, "");
  }
  Task<Result<bool>> IsProcessed(const std::string& event_id) override {
    co_return co_await layer_.Call<Result<bool>>(
        processed_, [&] { return inner_.IsProcessed(event_id); }, event_id);
  }
  Task<Status> Commit(const OrderWrite& write) override {
    // As FaultyCheckoutStore::Commit: the fake store need not copy `write`.
    if (fake_ != nullptr) {
      co_return co_await layer_.Call<Status>(
          commit_, [&] { return fake_->CommitAwaitedAtOnce(write); }, Describe(write));
    }
    co_return co_await layer_.Call<Status>(
        commit_, [&] { return inner_.Commit(write); }, Describe(write));
  }

 private:
  static std::string Describe(const OrderWrite& write);
  FaultPoint *get_, *by_session_, *find_, *processed_;
  fakes::FakeOrderStore* fake_;  // the inner store, if it is the fake (null for a real one)
};

// The order service's gRPC surface as checkout calls it.
class FaultyOrderClient final : public OrderClient {
 public:
  FaultyOrderClient(FaultLayer& layer, OrderClient& inner)
      : layer_(layer),
        inner_(inner),
        create_(layer.Point("order.create")),
        cancel_(layer.Point("order.cancel")),
        find_(layer.Point("order.find_by_session")) {}
  Task<Result<Order>> CreateOrder(const CreateOrderRequest& request) override {
    co_return co_await layer_.Call<Result<Order>>(
        create_, [&] { return inner_.CreateOrder(request); },
        DetailText("session=", request.cart_session_id, " total=", request.total));
  }
  Task<Status> CancelOrder(const std::string& order_id, const std::string& reason) override {
    co_return co_await layer_.Call<Status>(
        cancel_, [&] { return inner_.CancelOrder(order_id, reason); }, order_id);
  }
  Task<Result<Order>> FindBySession(const std::string& session) override {
    co_return co_await layer_.Call<Result<Order>>(
        find_, [&] { return inner_.FindBySession(session); }, session);
  }

 private:
  FaultLayer& layer_;
  OrderClient& inner_;
  FaultPoint *create_, *cancel_, *find_;
};

}  // namespace csim::sim
