#pragma once
// The outbox table both services' databases carry: rows are written in the same transaction as
// the business change and published later by an outbox worker.

#include <cstdint>
#include <vector>

#include "core/model.h"
#include "core/status.h"
#include "core/task.h"

namespace csim {

class OutboxTable {
 public:
  virtual ~OutboxTable() = default;
  // Up to `limit` rows with status pending and next_attempt_at <= now, oldest id first.
  virtual Task<Result<std::vector<OutboxRow>>> DueOutbox(TimeUs now, std::int32_t limit) = 0;
  // Stores the row's status, attempts and next_attempt_at. kNotFound if the id is unknown.
  virtual Task<Status> UpdateOutbox(const OutboxRow& row) = 0;
  // Up to `limit` rows with status failed (the publisher's retry budget is spent), oldest id
  // first: what an operator's drain (RedriveFailedOutbox, P1-CC-03 fixed) puts back to pending.
  virtual Task<Result<std::vector<OutboxRow>>> FailedOutbox(std::int32_t limit) = 0;
  // Up to `limit` rows with status awaiting_redrive and next_attempt_at <= now, oldest id first:
  // compensation rows the bus took, which the DLQ retry redrives until done (SIM-32 fixed).
  virtual Task<Result<std::vector<OutboxRow>>> DueRedrives(TimeUs now, std::int32_t limit) = 0;
  // Up to `limit` rows with status pending written at or before `written_by`, oldest id first,
  // whatever their next_attempt_at: the events still waiting for the bus (OutboxLagMonitor).
  virtual Task<Result<std::vector<OutboxRow>>> PendingOutbox(TimeUs written_by,
                                                             std::int32_t limit) = 0;
};

}  // namespace csim
