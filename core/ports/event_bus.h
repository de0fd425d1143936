#pragma once
// The event bus (Dapr pub/sub in production): at-least-once delivery, so a handler may see the
// same event more than once and must deduplicate by event id.

#include <functional>
#include <string>

#include "core/model.h"
#include "core/status.h"
#include "core/task.h"

namespace csim {

// Returns Ok to acknowledge; any error makes the bus deliver the event again later.
using EventHandler = std::function<Task<Status>(const Event&)>;

class EventBus {
 public:
  virtual ~EventBus() = default;
  // Accepts `event` for delivery to every subscriber of its topic. On error nothing was accepted
  // (kUnavailable) or it is unknown whether it was (kTimeout).
  virtual Task<Status> Publish(const Event& event) = 0;
  // Delivers every later event of `topic` to `handler`, once per `subscriber` name, at least once.
  virtual void Subscribe(const std::string& topic, const std::string& subscriber,
                         EventHandler handler) = 0;
};

}  // namespace csim
