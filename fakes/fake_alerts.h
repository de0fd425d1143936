#pragma once
// FakeAlerts: keeps every alert raised, in order, so NO-SILENT-EVENT-LOSS and the compensation
// checks can see which failures reached a human.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/ports/alerts.h"

namespace csim::fakes {

class FakeAlerts final : public Alerts {
 public:
  static constexpr std::size_t kAlertsMax = 1'000'000;

  void Raise(const Alert& alert) override;

  // Truth.
  const std::vector<Alert>& Raised() const { return raised_; }
  const std::map<std::string, std::int64_t>& CountByKind() const { return count_by_kind_; }
  std::int64_t Count(const std::string& kind) const;
  // Whether an alert raised so far names `subject` (NO-SILENT-EVENT-LOSS asks per outbox event).
  bool Names(const std::string& subject) const { return subjects_.contains(subject); }

 private:
  std::vector<Alert> raised_;
  std::map<std::string, std::int64_t> count_by_kind_;
  std::set<std::string> subjects_;
};

}  // namespace csim::fakes
