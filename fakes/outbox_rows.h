#pragma once
// OutboxRows: the outbox table both fake stores carry (core/ports/outbox.h). Rows get increasing
// ids, created_at = next_attempt_at = the commit's now, status pending. Kept as a member of each
// store so a store's Commit validates and appends its rows within its own all-or-nothing step.

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace csim::fakes {

class OutboxRows {
 public:
  static constexpr std::size_t kRowsMax = 4'000'000;
  static constexpr std::size_t kEventsPerCommitMax = 10'000;
  static constexpr std::int32_t kDueLimitMax = 100'000;

  // Ok if every event can be appended (an id and a topic each, within the bounds); writes nothing.
  Status Validate(const std::vector<Event>& events) const;
  // Appends every event as a pending row. REQUIRES: Validate(events) was Ok.
  void Append(const std::vector<Event>& events, TimeUs now);
  // Up to `limit` pending rows with next_attempt_at <= now, by id. kInvalidArgument for limit
  // outside (0, kDueLimitMax].
  Result<std::vector<OutboxRow>> Due(TimeUs now, std::int32_t limit) const;
  // Whether Due(now, 1) would return a row: whether a poller's pass would find anything.
  bool AnyDue(TimeUs now) const;
  // The earliest next_attempt_at of a pending row (AnyDue(now) is NextDue() <= now), or the
  // largest TimeUs when no row is pending: until then, while no row changes, a poll finds nothing.
  TimeUs NextDue() const;
  // Up to `limit` pending rows written at or before `written_by`, by id. kInvalidArgument for
  // limit outside (0, kDueLimitMax].
  Result<std::vector<OutboxRow>> PendingWrittenBy(TimeUs written_by, std::int32_t limit) const;
  // When the oldest pending row was written (created_at of the lowest pending id: rows are
  // written in id order), or the largest TimeUs when no row is pending.
  TimeUs OldestPendingAt() const;
  // Up to `limit` failed rows, by id. kInvalidArgument for limit outside (0, kDueLimitMax].
  Result<std::vector<OutboxRow>> Failed(std::int32_t limit) const;
  // Up to `limit` awaiting_redrive rows with next_attempt_at <= now, by id. kInvalidArgument for
  // limit outside (0, kDueLimitMax].
  Result<std::vector<OutboxRow>> DueRedrives(TimeUs now, std::int32_t limit) const;
  // The earliest next_attempt_at of an awaiting_redrive row, or the largest TimeUs when none is.
  TimeUs NextRedriveDue() const;
  // Stores status, attempts and next_attempt_at of row.id; the event and created_at stay.
  // kNotFound if the id is unknown; kInvalidArgument for negative attempts.
  Status Update(const OutboxRow& row);
  // What Update reads of `row` (id, status, attempts, next_attempt_at), without its event.
  static OutboxRow UpdateOf(const OutboxRow& row) {
    OutboxRow update;
    update.id = row.id;
    update.status = row.status;
    update.attempts = row.attempts;
    update.next_attempt_at = row.next_attempt_at;
    return update;
  }

  const std::map<std::int64_t, OutboxRow>& Rows() const { return rows_; }
  // Replaces every row by `rows` as another database holds them (ids and statuses kept): a
  // snapshot of a real outbox table, for the invariants to read (realrun/).
  void Restore(const std::vector<OutboxRow>& rows);

 private:
  // The rows of `ids` (all in `status`) due at `now`, by id, at most `limit` (checked).
  Result<std::vector<OutboxRow>> DueAmong(const std::set<std::int64_t>& ids, OutboxStatus status,
                                          TimeUs now, std::int32_t limit) const;

  std::map<std::int64_t, OutboxRow> rows_;
  std::set<std::int64_t> pending_ids_;  // rows whose status is pending
  // The same rows by (next_attempt_at, id): NextDue and AnyDue read the first instead of every
  // pending row (a poll is asked at every step of a busy world, with thousands pending).
  std::set<std::pair<TimeUs, std::int64_t>> pending_by_due_;
  std::set<std::int64_t> failed_ids_;  // rows whose status is failed
  // Rows whose status is awaiting_redrive, by id and by (next_attempt_at, id), as the pending ones.
  std::set<std::int64_t> redrive_ids_;
  std::set<std::pair<TimeUs, std::int64_t>> redrive_by_due_;
  std::int64_t last_id_ = 0;
};

}  // namespace csim::fakes
