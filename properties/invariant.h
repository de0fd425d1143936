#pragma once
// Invariants (docs/invariants.md), each in a file of its own. An invariant reads the
// ground truth of the fakes (never the core's opinion of itself) and returns what it found broken.

#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "fakes/fake_locks.h"
#include "properties/truth.h"
#include "sim/trace.h"

namespace csim::properties {

struct Violation {
  std::string invariant;  // the name in invariants.md, e.g. "NO-OVERSELL"
  std::string entity;     // e.g. "sku=SKU-1 wh=WH-2", "order=order-sess-3"
  std::string expected;
  std::string actual;
  TimeUs time_us = 0;
  std::uint64_t seq = 0;  // the trace record (its `seq`) last written when first observed
  bool operator==(const Violation&) const = default;
};

enum class InvariantKind { kAlways, kSettled, kBoth };

class ChangeTracker;
struct Changes;

struct Invariant {
  std::string_view name;
  InvariantKind kind;
  // Appends what is broken now. `settled` is true once the world has drained.
  void (*check)(const Truth& world, bool settled, std::vector<Violation>& out);
  // For an "always" invariant (nullptr for settled ones): appends what `check` would append now
  // (settled = false), looking only at the rows `changes` names; whatever it leaves out was
  // already reported by an earlier step (properties/change_tracker.h).
  void (*check_changed)(const sim::World& world, const ChangeTracker& tracker,
                        const Changes& changes, std::vector<Violation>& out) = nullptr;
};

// Every invariant implemented so far, in invariants.md order.
const std::vector<Invariant>& AllInvariants();

// Runs the invariants that apply (always ones at every step; settled ones when settled), each
// over the whole world: the reference the incremental checks are compared with.
std::vector<Violation> CheckInvariants(const Truth& world, bool settled);

// Runs the "always" invariants over the rows changed since the tracker's last step (everything on
// its first): the violations CheckInvariants(world, false) finds that no earlier step found.
std::vector<Violation> CheckChangedInvariants(const sim::World& world, ChangeTracker& tracker);

// Checkers, one per file.
void CheckNoOversell(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckNoPhantomWarehouse(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckNoLeakedAuth(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckMoneyConserved(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckValidTransitions(const Truth& world, bool settled, std::vector<Violation>& out);
// VALID-TRANSITIONS' own table of the order lifecycle (not core's CanTransition).
bool LifecycleAllows(OrderStatus from, OrderStatus to);
void CheckOrderSettles(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckPromoNoBudgetLeak(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckLoyaltyConserved(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckStockNoLeak(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckCartNotCleanedUnderLiveOrder(const Truth& world, bool settled,
                                       std::vector<Violation>& out);
void CheckNoSilentEventLoss(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckEventSettles(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckStatusChangesPublished(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckEffectOnce(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckPriceAsConfirmed(const Truth& world, bool settled, std::vector<Violation>& out);
void CheckSagaSettles(const Truth& world, bool settled, std::vector<Violation>& out);
// SAGA-SETTLES's lock half (saga_locks.cc), run by CheckSagaSettles once settled.
void CheckCouponLocksReleased(const Truth& world, std::vector<Violation>& out);
// Why coupon lock `hold` may have lapsed unreleased under working code, read from `trace` (its
// holder crashed, paused or never heard it held the key, a release failed, ...), or "".
std::string CouponLockExcuse(const sim::Trace& trace, const fakes::LockHold& hold);

// Incremental forms of the "always" checkers, in the same files.
using ChangedChecker = void(const sim::World& world, const ChangeTracker& tracker,
                            const Changes& changes, std::vector<Violation>& out);
ChangedChecker CheckNoOversellChanged;
ChangedChecker CheckNoPhantomWarehouseChanged;
ChangedChecker CheckStockNoLeakChanged;
ChangedChecker CheckPromoNoBudgetLeakChanged;
ChangedChecker CheckMoneyConservedChanged;
ChangedChecker CheckPriceAsConfirmedChanged;
ChangedChecker CheckCartNotCleanedUnderLiveOrderChanged;
ChangedChecker CheckLoyaltyConservedChanged;
ChangedChecker CheckNoSilentEventLossChanged;

}  // namespace csim::properties
