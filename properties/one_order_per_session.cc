// ONE-ORDER-PER-SESSION: at most one order per cart session.
#include <fmt/format.h>

#include <map>

#include "fakes/fake_order_store.h"
#include "properties/invariant.h"

namespace csim::properties {

void CheckOneOrderPerSession(const sim::World& world, bool, std::vector<Violation>& out) {
  std::map<std::string, int> per_session;
  for (const auto& [id, order] : world.order_db().Orders()) ++per_session[order.cart_session_id];
  for (const auto& [session, count] : per_session) {
    if (count <= 1) continue;
    out.push_back({"ONE-ORDER-PER-SESSION", "session=" + session, "1 order",
                   fmt::format("{} orders", count), world.kernel().now()});
  }
}

}  // namespace csim::properties
