#include "sim/checkout_api.h"

#include <coroutine>
#include <utility>

namespace csim::sim {
namespace {

// One request's reply, shared by the customer waiting for it, the server task and the
// customer's patience timer: whichever of the two comes first wakes the customer, once.
template <class R>
struct Reply {
  std::function<Task<R>()> request;
  std::optional<R> value;
  std::coroutine_handle<> waiter;
  bool woken = false;
};

template <class R>
struct ReplyAwaiter {
  Reply<R>* reply;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) noexcept { reply->waiter = handle; }
  void await_resume() const noexcept {}
};

template <class R>
Task<void> Serve(Kernel* kernel, ProcessId caller, std::shared_ptr<Reply<R>> reply) {
  R result = co_await reply->request();
  if (reply->woken) co_return;  // the customer stopped waiting
  CSIM_CHECK(static_cast<bool>(reply->waiter), "the customer waits before the server answers");
  reply->woken = true;
  reply->value.emplace(std::move(result));
  kernel->Wake(caller, reply->waiter);
}

}  // namespace

ProcessId CheckoutApi::NextServer() {
  for (std::size_t tried = 0; tried < servers_.size(); ++tried) {
    const ProcessId server = servers_[next_server_];
    next_server_ = (next_server_ + 1) % servers_.size();
    if (kernel_.IsUp(server)) return server;
  }
  return kNoProcess;
}

template <class R>
Task<R> CheckoutApi::Call(std::function<Task<R>()> request) {
  const ProcessId caller = kernel_.current();
  CSIM_CHECK(caller != kNoProcess, "a customer calls from its own process");
  const ProcessId server = NextServer();
  CSIM_CHECK(server != caller, "a customer calls from its own process");
  if (server == kNoProcess) {
    co_await kernel_.Sleep(kConnectionRefusedUs);
    co_return R{Status{Code::kUnavailable, "checkout-api: connection refused (process down)"}};
  }
  auto reply = std::make_shared<Reply<R>>();
  reply->request = std::move(request);
  kernel_.Spawn(server, Serve<R>(&kernel_, caller, reply));
  kernel_.At(caller, kernel_.now() + kCustomerPatienceUs, [this, reply, caller] {
    if (reply->woken) return;
    reply->woken = true;
    kernel_.Wake(caller, reply->waiter);
  });
  co_await ReplyAwaiter<R>{reply.get()};
  CSIM_CHECK(reply->woken, "a customer is woken by a reply or by its patience");
  if (reply->value) co_return std::move(*reply->value);
  co_return R{Status{Code::kTimeout, "checkout-api: no answer within the customer's patience"}};
}

Task<Status> CheckoutApi::CreateCart(std::string cart_id, std::string session_id,
                                     std::string customer_id, bool guest) {
  return Call<Status>([this, cart_id, session_id, customer_id, guest] {
    return checkout_.CreateCart(cart_id, session_id, customer_id, guest);
  });
}

Task<Status> CheckoutApi::AddItem(std::string cart_id, CartItem item) {
  return Call<Status>([this, cart_id, item] { return checkout_.AddItem(cart_id, item); });
}

Task<Result<Preview>> CheckoutApi::PreviewCheckout(std::string cart_id, CheckoutChoice choice) {
  return Call<Result<Preview>>(
      [this, cart_id, choice] { return checkout_.PreviewCheckout(cart_id, choice); });
}

Task<Result<ConfirmResult>> CheckoutApi::ConfirmCheckout(ConfirmRequest request) {
  return Call<Result<ConfirmResult>>(
      [this, request] { return checkout_.ConfirmCheckout(request); });
}

Task<Status> CheckoutApi::CancelOrder(std::string order_id) {
  // The reason lives in the lambda: the order service's coroutine keeps a reference to it.
  return Call<Status>([this, order_id, reason = std::string{"customer"}] {
    return orders_.CancelOrder(order_id, reason);
  });
}

}  // namespace csim::sim
