// EVENT-SETTLES (settled): every event the bus accepted ends acknowledged by each subscriber it
// was queued for, or dropped by a named rule; none is still being redelivered once the world has
// drained. Read from the bus fake's own record of every delivery it queued (FakeEventBus::
// Deliveries) and of every event it accepted (Published).
//
// A subscriber that gives up on an event it cannot handle acknowledges it; whether it told a human
// (dead-lettered it with an alert) is NO-SILENT-EVENT-LOSS's business for compensation rows, the
// only events the services' consumers can fail on for good.
//
// The one rule by which the bus drops an event: a topic without subscriber in the simulated
// deployment is delivered to nobody, as Dapr drops it. That is allowed only for the topics whose
// consumers are outside the model (kConsumedOutsideTheWorld). An event for the order worker that
// reaches nobody, such as payments.refund.completed without its consumer (P0-CC-01), is lost.
#include <fmt/format.h>

#include <array>
#include <map>
#include <string_view>

#include "core/topics.h"
#include "fakes/fake_event_bus.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

// Topics the review's services publish for consumers this model does not run (analytics,
// notifications, the warehouse's own denormalization of stock commits, the deprecated
// orders.checkout.completed constant never published at all).
constexpr std::array<std::string_view, 3> kConsumedOutsideTheWorld{
    topics::kCartConverted, topics::kStockCommitted, topics::kCheckoutCompleted};

bool ConsumedOutside(const std::string& topic) {
  for (std::string_view t : kConsumedOutsideTheWorld) {
    if (t == topic) return true;
  }
  return false;
}

}  // namespace

void CheckEventSettles(const Truth& world, bool settled, std::vector<Violation>& out) {
  if (!settled) return;
  const TimeUs now = world.now();
  const fakes::FakeEventBus& bus = world.bus();
  for (const fakes::DeliveryRecord& record : bus.Deliveries()) {
    if (record.acked) continue;
    out.push_back(
        {"EVENT-SETTLES", fmt::format("{} to {}", record.event_id(), record.subscriber),
         "acknowledged by its subscriber",
         fmt::format("not acknowledged after {} refusals ({})", record.nacks, record.topic()),
         now});
  }
  // Unrouted events, one violation per topic (the first event and how many).
  std::map<std::string, std::pair<std::string, std::int64_t>> unrouted;
  for (const Event& event : bus.Published()) {
    if (bus.HasSubscribers(event.topic) || ConsumedOutside(event.topic)) continue;
    auto [it, first] = unrouted.try_emplace(event.topic, event.id, 0);
    ++it->second.second;
  }
  for (const auto& [topic, first_and_count] : unrouted) {
    out.push_back({"EVENT-SETTLES", "topic=" + topic,
                   "delivered to a subscriber (its consumers are in the modelled services)",
                   fmt::format("{} events delivered to nobody, first {}", first_and_count.second,
                               first_and_count.first),
                   now});
  }
}

}  // namespace csim::properties
