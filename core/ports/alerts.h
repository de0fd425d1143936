#pragma once
// Alerting (Prometheus alert / pager in production): the way a failure reaches a human.

#include <string>

namespace csim {

struct Alert {
  std::string kind;     // e.g. "outbox.failed", "compensation.exhausted"
  std::string subject;  // the row or entity concerned
  std::string message;
};

class Alerts {
 public:
  virtual ~Alerts() = default;
  // Records the alert. Never fails: alerting is fire-and-forget.
  virtual void Raise(const Alert& alert) = 0;
};

}  // namespace csim
