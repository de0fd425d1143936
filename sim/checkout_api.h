#pragma once
// The customers' side of checkout-api: each request runs in the checkout-api process (a crash
// there loses it, with everything it had in memory) while the customer, a process of its own,
// waits at most its patience and then sees kTimeout, whatever the server went on to do. This is
// the ambiguity a real client has: a timed-out request may still complete.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/checkout/checkout_service.h"
#include "core/order/order_service.h"
#include "sim/kernel.h"

namespace csim::sim {

// How long a customer's browser waits for checkout-api before it shows an error.
inline constexpr DurationUs kCustomerPatienceUs = 60 * kSecondUs;
// How long a refused connection takes to report (the server process is down).
inline constexpr DurationUs kConnectionRefusedUs = 50 * kMillisecondUs;

class CheckoutApi {
 public:
  // REQUIRES: `servers` (the replicas of checkout-api, at least one) are processes of `kernel`;
  // `checkout` and `orders` outlive this client.
  CheckoutApi(Kernel& kernel, std::vector<ProcessId> servers, CheckoutService& checkout,
              OrderClient& orders)
      : kernel_(kernel), servers_(std::move(servers)), checkout_(checkout), orders_(orders) {
    CSIM_CHECK(!servers_.empty(), "checkout-api has a replica");
  }

  Task<Status> CreateCart(std::string cart_id, std::string session_id, std::string customer_id,
                          bool guest);
  Task<Status> AddItem(std::string cart_id, CartItem item);
  Task<Result<Preview>> PreviewCheckout(std::string cart_id, CheckoutChoice choice);
  Task<Result<ConfirmResult>> ConfirmCheckout(ConfirmRequest request);
  // The customer's "cancel my order" button, served by checkout-api through the order service.
  Task<Status> CancelOrder(std::string order_id);

 private:
  // Runs `request` in a server process; the caller (a process of its own) waits for its reply
  // at most kCustomerPatienceUs.
  template <class R>
  Task<R> Call(std::function<Task<R>()> request);
  // The replica the load balancer hands the next request: round robin over the replicas that are
  // up (a crashed pod leaves the pool; a paused one still looks healthy and gets its share).
  // kNoProcess if none is up.
  ProcessId NextServer();

  Kernel& kernel_;
  std::vector<ProcessId> servers_;
  std::size_t next_server_ = 0;
  CheckoutService& checkout_;
  OrderClient& orders_;
};

}  // namespace csim::sim
