#include "fakes/outbox_rows.h"

#include <algorithm>
#include <limits>

#include "core/check.h"
#include "fakes/storable_text.h"

namespace csim::fakes {

Status OutboxRows::Validate(const std::vector<Event>& events) const {
  if (events.size() > kEventsPerCommitMax) {
    return Status{Code::kInvalidArgument, "too many outbox events in one commit"};
  }
  for (const Event& event : events) {
    if (event.id.empty()) return Status{Code::kInvalidArgument, "outbox event without id"};
    if (event.topic.empty()) return Status{Code::kInvalidArgument, "outbox event without topic"};
    if (Status status = CheckStorable(event); !status.ok()) return status;
  }
  CSIM_CHECK(rows_.size() + events.size() <= kRowsMax, "kRowsMax");
  return Status::Ok();
}

void OutboxRows::Append(const std::vector<Event>& events, TimeUs now) {
  for (const Event& event : events) {
    CSIM_CHECK(!event.id.empty(), "Append without Validate");
    OutboxRow row;
    row.id = ++last_id_;
    row.event = event;
    row.status = OutboxStatus::kPending;
    row.next_attempt_at = now;
    row.created_at = now;
    pending_ids_.insert(row.id);
    pending_by_due_.emplace(row.next_attempt_at, row.id);
    rows_.emplace_hint(rows_.end(), row.id, std::move(row));
  }
  CSIM_CHECK(rows_.size() <= kRowsMax, "kRowsMax");
}

void OutboxRows::Restore(const std::vector<OutboxRow>& rows) {
  CSIM_CHECK(rows.size() <= kRowsMax, "kRowsMax");
  rows_.clear();
  pending_ids_.clear();
  pending_by_due_.clear();
  failed_ids_.clear();
  redrive_ids_.clear();
  redrive_by_due_.clear();
  for (const OutboxRow& row : rows) {
    CSIM_CHECK(row.id > 0, "a stored outbox row has an id");
    const bool inserted = rows_.emplace(row.id, row).second;
    CSIM_CHECK(inserted, "outbox row ids are unique");
    if (row.status == OutboxStatus::kPending) {
      pending_ids_.insert(row.id);
      pending_by_due_.emplace(row.next_attempt_at, row.id);
    }
    if (row.status == OutboxStatus::kFailed) failed_ids_.insert(row.id);
    if (row.status == OutboxStatus::kAwaitingRedrive) {
      redrive_ids_.insert(row.id);
      redrive_by_due_.emplace(row.next_attempt_at, row.id);
    }
    last_id_ = std::max(last_id_, row.id);
  }
  CSIM_CHECK(rows_.size() == rows.size());
}

Result<std::vector<OutboxRow>> OutboxRows::Due(TimeUs now, std::int32_t limit) const {
  return DueAmong(pending_ids_, OutboxStatus::kPending, now, limit);
}

Result<std::vector<OutboxRow>> OutboxRows::DueAmong(const std::set<std::int64_t>& ids,
                                                    OutboxStatus status, TimeUs now,
                                                    std::int32_t limit) const {
  if (limit <= 0) return Status{Code::kInvalidArgument, "limit must be positive"};
  if (limit > kDueLimitMax) return Status{Code::kInvalidArgument, "limit too large"};
  std::vector<OutboxRow> due;
  for (std::int64_t id : ids) {
    if (due.size() >= static_cast<std::size_t>(limit)) break;
    const OutboxRow& row = rows_.at(id);
    CSIM_CHECK(row.status == status, "a status index out of date");
    if (row.next_attempt_at <= now) due.push_back(row);
  }
  return due;
}

bool OutboxRows::AnyDue(TimeUs now) const {
  return NextDue() <= now;
}

TimeUs OutboxRows::NextDue() const {
  CSIM_CHECK(pending_by_due_.size() == pending_ids_.size(),
             "the due index holds every pending row");
  return pending_by_due_.empty() ? std::numeric_limits<TimeUs>::max()
                                 : pending_by_due_.begin()->first;
}

Result<std::vector<OutboxRow>> OutboxRows::PendingWrittenBy(TimeUs written_by,
                                                            std::int32_t limit) const {
  if (limit <= 0) return Status{Code::kInvalidArgument, "limit must be positive"};
  if (limit > kDueLimitMax) return Status{Code::kInvalidArgument, "limit too large"};
  std::vector<OutboxRow> pending;
  for (std::int64_t id : pending_ids_) {
    const OutboxRow& row = rows_.at(id);
    CSIM_CHECK(row.status == OutboxStatus::kPending, "pending index out of date");
    // Rows are written in id order: the rest were written later still.
    if (row.created_at > written_by || pending.size() >= static_cast<std::size_t>(limit)) break;
    pending.push_back(row);
  }
  return pending;
}

TimeUs OutboxRows::OldestPendingAt() const {
  if (pending_ids_.empty()) return std::numeric_limits<TimeUs>::max();
  return rows_.at(*pending_ids_.begin()).created_at;
}

Result<std::vector<OutboxRow>> OutboxRows::Failed(std::int32_t limit) const {
  if (limit <= 0) return Status{Code::kInvalidArgument, "limit must be positive"};
  if (limit > kDueLimitMax) return Status{Code::kInvalidArgument, "limit too large"};
  std::vector<OutboxRow> failed;
  for (std::int64_t id : failed_ids_) {
    if (failed.size() >= static_cast<std::size_t>(limit)) break;
    const OutboxRow& row = rows_.at(id);
    CSIM_CHECK(row.status == OutboxStatus::kFailed, "failed index out of date");
    failed.push_back(row);
  }
  return failed;
}

Result<std::vector<OutboxRow>> OutboxRows::DueRedrives(TimeUs now, std::int32_t limit) const {
  return DueAmong(redrive_ids_, OutboxStatus::kAwaitingRedrive, now, limit);
}

TimeUs OutboxRows::NextRedriveDue() const {
  CSIM_CHECK(redrive_by_due_.size() == redrive_ids_.size(),
             "the redrive index holds every awaiting row");
  return redrive_by_due_.empty() ? std::numeric_limits<TimeUs>::max()
                                 : redrive_by_due_.begin()->first;
}

Status OutboxRows::Update(const OutboxRow& row) {
  auto it = rows_.find(row.id);
  if (it == rows_.end()) return Status{Code::kNotFound, "unknown outbox row"};
  if (row.attempts < 0) return Status{Code::kInvalidArgument, "negative attempts"};
  OutboxRow& stored = it->second;
  if (stored.status == OutboxStatus::kPending) {
    const std::size_t erased = pending_by_due_.erase({stored.next_attempt_at, stored.id});
    CSIM_CHECK(erased == 1, "the due index held the pending row");
  }
  if (stored.status == OutboxStatus::kAwaitingRedrive) {
    const std::size_t erased = redrive_by_due_.erase({stored.next_attempt_at, stored.id});
    CSIM_CHECK(erased == 1, "the redrive index held the awaiting row");
  }
  stored.status = row.status;
  stored.attempts = row.attempts;
  stored.next_attempt_at = row.next_attempt_at;
  if (stored.status == OutboxStatus::kPending) {
    pending_ids_.insert(stored.id);
    pending_by_due_.emplace(stored.next_attempt_at, stored.id);
  } else {
    pending_ids_.erase(stored.id);
  }
  if (stored.status == OutboxStatus::kFailed) {
    failed_ids_.insert(stored.id);
  } else {
    failed_ids_.erase(stored.id);
  }
  if (stored.status == OutboxStatus::kAwaitingRedrive) {
    redrive_ids_.insert(stored.id);
    redrive_by_due_.emplace(stored.next_attempt_at, stored.id);
  } else {
    redrive_ids_.erase(stored.id);
  }
  CSIM_CHECK(pending_ids_.size() + failed_ids_.size() + redrive_ids_.size() <= rows_.size(),
             "status indexes");
  return Status::Ok();
}

}  // namespace csim::fakes
