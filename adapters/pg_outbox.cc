#include "adapters/pg_outbox.h"

#include "adapters/json_codec.h"
#include "adapters/row_codec.h"

namespace csim::adapters {

Status CheckLimit(std::int32_t limit, std::int32_t limit_max) {
  if (limit <= 0) return Status{Code::kInvalidArgument, "limit must be positive"};
  if (limit > limit_max) return Status{Code::kInvalidArgument, "limit too large"};
  return Status::Ok();
}

Status PgOutbox::Validate(const std::vector<Event>& events) {
  if (events.size() > kEventsPerCommitMax) {
    return Status{Code::kInvalidArgument, "too many outbox events in one commit"};
  }
  for (const Event& event : events) {
    if (event.id.empty()) return Status{Code::kInvalidArgument, "outbox event without id"};
    if (event.topic.empty()) return Status{Code::kInvalidArgument, "outbox event without topic"};
  }
  return Status::Ok();
}

void PgOutbox::Append(pqxx::work& tx, const std::vector<Event>& events, TimeUs now) const {
  for (const Event& event : events) {
    CSIM_CHECK(!event.id.empty(), "Append without Validate");
    tx.exec_params("INSERT INTO " + table_ +
                       " (event_id, topic, subject, fields, status, attempts, next_attempt_at, "
                       "created_at) VALUES ($1, $2, $3, $4::jsonb, $5, 0, $6, $6)",
                   Text(event.id), Text(event.topic), Text(event.subject),
                   EncodeFields(event.fields), EnumValue(OutboxStatus::kPending), now);
  }
}

Result<std::vector<OutboxRow>> PgOutbox::Due(PgConnection& connection, TimeUs now,
                                             std::int32_t limit) const {
  return Select(connection, "status = 0 AND next_attempt_at <= $1", now, limit);
}

Result<std::vector<OutboxRow>> PgOutbox::Failed(PgConnection& connection,
                                                std::int32_t limit) const {
  // $1 is unused here; the shared query keeps one parameter list.
  return Select(connection, "status = 2 AND $1::bigint IS NOT NULL", 0, limit);
}

Result<std::vector<OutboxRow>> PgOutbox::DueRedrives(PgConnection& connection, TimeUs now,
                                                     std::int32_t limit) const {
  return Select(connection, "status = 3 AND next_attempt_at <= $1", now, limit);
}

Result<std::vector<OutboxRow>> PgOutbox::PendingWrittenBy(PgConnection& connection,
                                                          TimeUs written_by,
                                                          std::int32_t limit) const {
  return Select(connection, "status = 0 AND created_at <= $1", written_by, limit);
}

Result<std::vector<OutboxRow>> PgOutbox::Select(PgConnection& connection, const std::string& where,
                                                TimeUs now, std::int32_t limit) const {
  if (Status status = CheckLimit(limit, kLimitMax); !status.ok()) return status;
  using Rows = Result<std::vector<OutboxRow>>;
  return connection.Run<Rows>("reading the outbox", [&](pqxx::connection& c) -> Rows {
    pqxx::read_transaction tx{c};
    const pqxx::result result =
        tx.exec_params(std::string{"SELECT "} + kOutboxColumns + " FROM " + table_ + " WHERE " +
                           where + " ORDER BY id LIMIT $2",
                       now, limit);
    std::vector<OutboxRow> rows;
    for (const pqxx::row& row : result) {
      Result<OutboxRow> decoded = OutboxRowFromRow(row);
      if (!decoded.ok()) return decoded.status();
      rows.push_back(std::move(decoded).value());
    }
    CSIM_CHECK(rows.size() <= static_cast<std::size_t>(limit));
    return rows;
  });
}

Status PgOutbox::Update(PgConnection& connection, const OutboxRow& row) const {
  if (row.attempts < 0) return Status{Code::kInvalidArgument, "negative attempts"};
  return connection.Run<Status>("updating the outbox", [&](pqxx::connection& c) -> Status {
    pqxx::work tx{c};
    const pqxx::result result = tx.exec_params(
        "UPDATE " + table_ + " SET status = $2, attempts = $3, next_attempt_at = $4 WHERE id = $1",
        row.id, EnumValue(row.status), row.attempts, row.next_attempt_at);
    if (result.affected_rows() == 0) return Status{Code::kNotFound, "unknown outbox row"};
    CSIM_CHECK(result.affected_rows() == 1, "ids are the primary key");
    tx.commit();
    return Status::Ok();
  });
}

}  // namespace csim::adapters
