#pragma once
// Test double: the warehouse whose releases can be made to fail, whose reserve takes effect,
// times out, and then finds the warehouse down (the lookups of SIM-06 and SIM-11), or whose
// reserves all time out (SIM-29).

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "core/ports/warehouse.h"
#include "tests/core/forwarding_warehouse.h"

namespace csim::test_ports {

// The warehouse whose Release can be made to fail (kUnavailable, before any effect).
class FlakyWarehouse final : public ForwardingWarehouse {
 public:
  explicit FlakyWarehouse(WarehouseInventory& inner) : ForwardingWarehouse(inner) {}
  Task<Result<std::string>> ReserveWithTtl(const ReserveRequest& request) override {
    ++reserves_;
    if (on_reserve_) on_reserve_();
    if (time_out_reserves_) co_return Status{Code::kTimeout, "deadline exceeded, no answer"};
    if (reserve_down_after_timeout_ && timed_out_once_) {
      co_return Status{Code::kUnavailable, "warehouse down"};
    }
    auto reserved = co_await inner().ReserveWithTtl(request);
    if (reserve_down_after_timeout_ && reserved.ok()) {
      timed_out_once_ = true;
      co_return Status{Code::kTimeout, "deadline exceeded after the reservation was made"};
    }
    co_return reserved;
  }
  Task<Status> Release(const std::string& reservation_id) override {
    ++releases_;
    if (fail_releases_) co_return Status{Code::kUnavailable, "warehouse down"};
    if (releases_to_fail_ > 0) {
      --releases_to_fail_;
      co_return Status{Code::kUnavailable, "warehouse refused a passing call"};
    }
    co_return co_await inner().Release(reservation_id);
  }
  void FailReleases(bool fail) { fail_releases_ = fail; }
  // The next `count` releases fail (kUnavailable, before any effect); those after work.
  void FailNextReleases(int count) { releases_to_fail_ = count; }
  int releases() const { return releases_; }  // release calls so far
  // The next reserve takes effect but times out; every reserve after it finds the warehouse down.
  void TimeOutReserveThenGoDown() {
    reserve_down_after_timeout_ = true;
    timed_out_once_ = false;
  }
  void ComeBack() { reserve_down_after_timeout_ = false; }
  // Every reserve times out without an answer (and, here, without an effect).
  void TimeOutReserves(bool time_out) { time_out_reserves_ = time_out; }
  // Runs as each reserve comes in: a test's clock advance (a warehouse slow to answer).
  void OnReserve(std::function<void()> hook) { on_reserve_ = std::move(hook); }
  int reserves() const { return reserves_; }  // reserve calls so far (lookups by reference too)

 private:
  bool fail_releases_ = false;
  int releases_to_fail_ = 0;
  int releases_ = 0;
  bool reserve_down_after_timeout_ = false;
  bool timed_out_once_ = false;
  bool time_out_reserves_ = false;
  std::function<void()> on_reserve_;
  int reserves_ = 0;
};

}  // namespace csim::test_ports
