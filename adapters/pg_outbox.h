#pragma once
// PgOutbox (adapters/ only): the outbox table of one schema (checkout.outbox, orders.outbox), with
// the same rules as the fakes' OutboxRows: rows appended as pending in the caller's transaction,
// due rows by id, failed rows by id, updates of status/attempts/next_attempt_at only.

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/pg_connection.h"
#include "core/model.h"

namespace csim::adapters {

class PgOutbox {
 public:
  static constexpr std::size_t kEventsPerCommitMax = 10'000;
  static constexpr std::int32_t kLimitMax = 100'000;

  explicit PgOutbox(std::string table) : table_(std::move(table)) {}

  // Ok if every event can be appended (an id and a topic each, within the bound).
  static Status Validate(const std::vector<Event>& events);
  // Appends every event as a pending row in `tx`. REQUIRES: Validate(events) was Ok.
  void Append(pqxx::work& tx, const std::vector<Event>& events, TimeUs now) const;
  // Up to `limit` pending rows due at `now`, by id. kInvalidArgument for limit outside
  // (0, kLimitMax].
  Result<std::vector<OutboxRow>> Due(PgConnection& connection, TimeUs now,
                                     std::int32_t limit) const;
  // Up to `limit` failed rows, by id.
  Result<std::vector<OutboxRow>> Failed(PgConnection& connection, std::int32_t limit) const;
  // Up to `limit` awaiting_redrive rows due at `now`, by id.
  Result<std::vector<OutboxRow>> DueRedrives(PgConnection& connection, TimeUs now,
                                             std::int32_t limit) const;
  // Up to `limit` pending rows written at or before `written_by`, by id.
  Result<std::vector<OutboxRow>> PendingWrittenBy(PgConnection& connection, TimeUs written_by,
                                                  std::int32_t limit) const;
  // Stores status, attempts and next_attempt_at of row.id. kNotFound for an unknown id,
  // kInvalidArgument for negative attempts.
  Status Update(PgConnection& connection, const OutboxRow& row) const;

 private:
  Result<std::vector<OutboxRow>> Select(PgConnection& connection, const std::string& where,
                                        TimeUs now, std::int32_t limit) const;
  std::string table_;
};

// The limit check every query of the real stores shares (the fakes' bounds).
Status CheckLimit(std::int32_t limit, std::int32_t limit_max);

}  // namespace csim::adapters
