// NO-SILENT-EVENT-LOSS (settled): every outbox event of both services was published, or marked
// failed with an alert raised for it.
#include <fmt/format.h>

#include <set>

#include "fakes/fake_alerts.h"
#include "fakes/fake_checkout_store.h"
#include "fakes/fake_order_store.h"
#include "properties/invariant.h"

namespace csim::properties {
namespace {

void CheckTable(const std::string& service, const std::map<std::int64_t, OutboxRow>& rows,
                const std::set<std::string>& alerted, TimeUs now, std::vector<Violation>& out) {
  for (const auto& [id, row] : rows) {
    if (row.status == OutboxStatus::kPublished) continue;
    if (row.status == OutboxStatus::kFailed && alerted.count(row.event.id)) continue;
    out.push_back({"NO-SILENT-EVENT-LOSS", fmt::format("{} outbox {}", service, row.event.id),
                   "published, or failed with an alert",
                   fmt::format("{} after {} attempts, no alert", Name(row.status), row.attempts),
                   now});
  }
}

}  // namespace

void CheckNoSilentEventLoss(const sim::World& world, bool settled, std::vector<Violation>& out) {
  if (!settled) return;
  std::set<std::string> alerted;
  for (const Alert& alert : world.alerts().Raised()) alerted.insert(alert.subject);
  const TimeUs now = world.kernel().now();
  CheckTable("checkout", world.checkout_db().Outbox(), alerted, now, out);
  CheckTable("order", world.order_db().Outbox(), alerted, now, out);
}

}  // namespace csim::properties
