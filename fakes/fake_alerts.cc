#include "fakes/fake_alerts.h"

#include "core/check.h"

namespace csim::fakes {

void FakeAlerts::Raise(const Alert& alert) {
  CSIM_CHECK(!alert.kind.empty(), "an alert needs a kind");
  CSIM_CHECK(raised_.size() < kAlertsMax, "kAlertsMax");
  raised_.push_back(alert);
  count_by_kind_[alert.kind]++;
  subjects_.insert(alert.subject);
}

std::int64_t FakeAlerts::Count(const std::string& kind) const {
  auto it = count_by_kind_.find(kind);
  return it == count_by_kind_.end() ? 0 : it->second;
}

}  // namespace csim::fakes
