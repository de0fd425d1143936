#include "adapters/real_state.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <utility>

#include "adapters/pg_connection.h"
#include "adapters/redis_connection.h"
#include "adapters/redis_event_bus.h"
#include "adapters/row_codec.h"
#include "core/check.h"

namespace csim::adapters {
namespace {

// The tables a real run writes, emptied by ResetDatabases (children before parents).
constexpr const char* kTables[] = {"checkout.carts",
                                   "checkout.outbox",
                                   "checkout.failed_compensations",
                                   "orders.order_items",
                                   "orders.orders",
                                   "orders.outbox",
                                   "orders.processed_events",
                                   "orders.order_status_changes"};

// Keys read or deleted per SCAN step, and SCAN steps at most (a cursor that never returns to 0
// would otherwise loop forever).
constexpr std::int64_t kScanCount = 1'000;
constexpr std::int64_t kScanStepsMax = 100'000;
constexpr std::int64_t kXrangePage = 1'000;

std::string Str(const redisReply& reply) {
  return std::string{reply.str, reply.len};
}

// Every row of `table` (columns `columns`) ordered by `order`, decoded by `decode`.
template <class T, class Decode>
Status ReadTable(pqxx::transaction_base& tx, const std::string& table, const char* columns,
                 const char* order, Decode decode, std::vector<T>& out) {
  const pqxx::result result = tx.exec(fmt::format("SELECT {} FROM {} ORDER BY {} LIMIT {}", columns,
                                                  table, order, kRowsReadMax + 1));
  if (static_cast<std::int64_t>(result.size()) > kRowsReadMax) {
    return Status{Code::kInvalidArgument,
                  fmt::format("{} holds more than {} rows", table, kRowsReadMax)};
  }
  for (const pqxx::row& row : result) {
    Result<T> value = decode(row);
    if (!value.ok()) return value.status();
    out.push_back(std::move(value).value());
  }
  CSIM_CHECK(out.size() == result.size());
  return Status::Ok();
}

// Whether both schemas were created by the stores (a fresh server has neither).
bool SchemasExist(pqxx::transaction_base& tx) {
  return tx.exec1(
               "SELECT count(*) FROM information_schema.tables WHERE "
               "(table_schema = 'checkout' AND table_name = 'carts') OR "
               "(table_schema = 'orders' AND table_name = 'orders')")[0]
             .as<int>() == 2;
}

// Runs SCAN MATCH <prefix>* to its end, calling `each(key)` for every key.
template <class Each>
Status ScanKeys(RedisConnection& redis, const std::string& prefix, Each each) {
  std::string cursor = "0";
  for (std::int64_t step = 0; step < kScanStepsMax; ++step) {
    Result<RedisReplyPtr> reply =
        redis.Command({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", std::to_string(kScanCount)});
    if (!reply.ok()) return reply.status();
    const redisReply& r = *reply.value();
    CSIM_CHECK(r.type == REDIS_REPLY_ARRAY && r.elements == 2, "SCAN answers [cursor, keys]");
    cursor = Str(*r.element[0]);
    const redisReply& keys = *r.element[1];
    for (std::size_t i = 0; i < keys.elements; ++i) {
      if (Status status = each(Str(*keys.element[i])); !status.ok()) return status;
    }
    if (cursor == "0") return Status::Ok();
  }
  return Status{Code::kInvalidArgument, redis.address().Name() + ": SCAN did not finish"};
}

// Every entry of `stream`, page by page, appended to `out` (malformed ones counted).
Status ReadStream(RedisConnection& redis, const std::string& stream, BusState& out) {
  std::string from = "-";
  for (std::int64_t read = 0; read <= kStreamEntriesReadMax; read += kXrangePage) {
    Result<RedisReplyPtr> reply =
        redis.Command({"XRANGE", stream, from, "+", "COUNT", std::to_string(kXrangePage)});
    if (!reply.ok()) return reply.status();
    const redisReply& entries = *reply.value();
    CSIM_CHECK(entries.type == REDIS_REPLY_ARRAY, "XRANGE answers a list");
    for (std::size_t i = 0; i < entries.elements; ++i) {
      std::optional<std::pair<std::string, Event>> decoded = DecodeStreamEntry(*entries.element[i]);
      if (!decoded) {
        ++out.malformed;
        continue;
      }
      out.entries.push_back({decoded->first, std::move(decoded->second)});
    }
    if (entries.elements < static_cast<std::size_t>(kXrangePage)) return Status::Ok();
    from = "(" + Str(*entries.element[entries.elements - 1]->element[0]);  // exclusive
  }
  return Status{Code::kInvalidArgument,
                fmt::format("{}: stream {} holds more than {} entries", redis.address().Name(),
                            stream, kStreamEntriesReadMax)};
}

// The consumer groups of `stream` (XINFO GROUPS) with their unacked entries (XPENDING).
Status ReadGroups(RedisConnection& redis, const std::string& stream, const std::string& topic,
                  BusState& out) {
  Result<RedisReplyPtr> groups = redis.Command({"XINFO", "GROUPS", stream});
  if (!groups.ok()) return groups.status();
  CSIM_CHECK(groups.value()->type == REDIS_REPLY_ARRAY, "XINFO GROUPS answers a list");
  for (std::size_t g = 0; g < groups.value()->elements; ++g) {
    const redisReply& info = *groups.value()->element[g];
    ConsumerGroupState state;
    state.topic = topic;
    for (std::size_t i = 0; i + 1 < info.elements; i += 2) {
      const std::string key = Str(*info.element[i]);
      if (key == "name") state.group = Str(*info.element[i + 1]);
      if (key == "last-delivered-id") state.last_delivered_id = Str(*info.element[i + 1]);
    }
    CSIM_CHECK(!state.group.empty(), "a consumer group has a name");
    Result<RedisReplyPtr> pending = redis.Command(
        {"XPENDING", stream, state.group, "-", "+", std::to_string(kStreamEntriesReadMax)});
    if (!pending.ok()) return pending.status();
    CSIM_CHECK(pending.value()->type == REDIS_REPLY_ARRAY, "XPENDING answers a list");
    for (std::size_t i = 0; i < pending.value()->elements; ++i) {
      state.pending.insert(Str(*pending.value()->element[i]->element[0]));
    }
    out.groups.push_back(std::move(state));
  }
  return Status::Ok();
}

std::pair<std::uint64_t, std::uint64_t> EntryIdParts(const std::string& id) {
  std::uint64_t ms = 0, seq = 0;
  const std::size_t dash = id.find('-');
  std::from_chars(id.data(), id.data() + std::min(dash, id.size()), ms);
  if (dash != std::string::npos) std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return {ms, seq};
}

}  // namespace

bool EntryIdBefore(const std::string& a, const std::string& b) {
  return EntryIdParts(a) < EntryIdParts(b);
}

Result<DatabaseState> ReadDatabases(const std::string& postgres_url) {
  Result<std::unique_ptr<PgConnection>> connection = PgConnection::Create(postgres_url);
  if (!connection.ok()) return connection.status();
  return connection.value()->Run<Result<DatabaseState>>(
      "reading both databases", [&](pqxx::connection& c) -> Result<DatabaseState> {
        SnapshotRead tx{c};
        DatabaseState state;
        if (!SchemasExist(tx)) return state;
        Status read =
            ReadTable<Cart>(tx, "checkout.carts", kCartColumns, "id", &CartFromRow, state.carts);
        if (read.ok()) {
          read = ReadTable<OutboxRow>(tx, "checkout.outbox", kOutboxColumns, "id",
                                      &OutboxRowFromRow, state.checkout_outbox);
        }
        if (read.ok()) {
          read = ReadTable<FailedCompensation>(tx, "checkout.failed_compensations",
                                               kCompensationColumns, "id", &CompensationFromRow,
                                               state.compensations);
        }
        if (read.ok()) {
          read = ReadTable<OutboxRow>(tx, "orders.outbox", kOutboxColumns, "id", &OutboxRowFromRow,
                                      state.order_outbox);
        }
        auto change = [](const pqxx::row& row) -> Result<StatusChangeRow> {
          Result<OrderStatus> from = OrderStatusFromValue(row["from_status"].as<int>());
          Result<OrderStatus> to = OrderStatusFromValue(row["to_status"].as<int>());
          if (!from.ok()) return from.status();
          if (!to.ok()) return to.status();
          return StatusChangeRow{row["order_id"].as<std::string>(), from.value(), to.value(),
                                 row["at_us"].as<std::int64_t>()};
        };
        if (read.ok()) {
          read = ReadTable<StatusChangeRow>(tx, "orders.order_status_changes",
                                            "order_id, from_status, to_status, at_us", "seq",
                                            change, state.status_changes);
        }
        if (!read.ok()) return read;
        const pqxx::result orders = tx.exec(fmt::format(
            "SELECT {} FROM orders.orders ORDER BY id LIMIT {}", kOrderColumns, kRowsReadMax + 1));
        if (static_cast<std::int64_t>(orders.size()) > kRowsReadMax) {
          return Status{Code::kInvalidArgument, "orders.orders holds too many rows"};
        }
        const pqxx::result items = tx.exec(fmt::format(
            "SELECT {} FROM orders.order_items ORDER BY order_id, position", kOrderItemColumns));
        Result<std::vector<Order>> decoded = OrdersFromRows(orders, items);
        if (!decoded.ok()) return decoded.status();
        state.orders = std::move(decoded).value();
        for (const pqxx::row& row : tx.exec("SELECT event_id FROM orders.processed_events")) {
          state.processed_event_ids.insert(row[0].as<std::string>());
        }
        return state;
      });
}

Result<std::int64_t> CountBusinessRows(const std::string& postgres_url) {
  Result<std::unique_ptr<PgConnection>> connection = PgConnection::Create(postgres_url);
  if (!connection.ok()) return connection.status();
  return connection.value()->Run<Result<std::int64_t>>(
      "counting rows", [&](pqxx::connection& c) -> Result<std::int64_t> {
        SnapshotRead tx{c};
        if (!SchemasExist(tx)) return std::int64_t{0};
        return tx
            .exec1(
                "SELECT (SELECT count(*) FROM checkout.carts) + "
                "(SELECT count(*) FROM orders.orders)")[0]
            .as<std::int64_t>();
      });
}

Status ResetDatabases(const std::string& postgres_url) {
  Result<std::unique_ptr<PgConnection>> connection = PgConnection::Create(postgres_url);
  if (!connection.ok()) return connection.status();
  return connection.value()->Run<Status>("emptying both databases", [&](pqxx::connection& c) {
    pqxx::work tx{c};
    if (!SchemasExist(tx)) return Status::Ok();
    std::string list;
    for (const char* table : kTables) list += (list.empty() ? "" : ", ") + std::string{table};
    tx.exec("TRUNCATE " + list + " RESTART IDENTITY");
    tx.commit();
    return Status::Ok();
  });
}

Result<BusState> ReadBus(const std::string& redis_url, const std::string& key_prefix) {
  Result<std::unique_ptr<RedisConnection>> redis = RedisConnection::Open(redis_url);
  if (!redis.ok()) return redis.status();
  const std::string stream_prefix = key_prefix + "stream:";
  std::vector<std::string> streams;
  Status scanned = ScanKeys(*redis.value(), stream_prefix, [&](const std::string& key) {
    if (static_cast<std::int64_t>(streams.size()) >= kStreamsReadMax) {
      return Status{Code::kInvalidArgument, "more streams than kStreamsReadMax"};
    }
    streams.push_back(key);
    return Status::Ok();
  });
  if (!scanned.ok()) return scanned;
  std::sort(streams.begin(), streams.end());  // SCAN's order is the hash table's
  BusState state;
  for (const std::string& stream : streams) {
    if (Status status = ReadStream(*redis.value(), stream, state); !status.ok()) return status;
    const std::string topic = stream.substr(stream_prefix.size());
    if (Status status = ReadGroups(*redis.value(), stream, topic, state); !status.ok()) {
      return status;
    }
  }
  std::stable_sort(state.entries.begin(), state.entries.end(),
                   [](const StreamEntry& a, const StreamEntry& b) {
                     return EntryIdBefore(a.entry_id, b.entry_id);
                   });
  return state;
}

Result<std::int64_t> CountKeys(const std::string& redis_url, const std::string& key_prefix) {
  Result<std::unique_ptr<RedisConnection>> redis = RedisConnection::Open(redis_url);
  if (!redis.ok()) return redis.status();
  std::int64_t count = 0;
  Status scanned = ScanKeys(*redis.value(), key_prefix, [&](const std::string&) {
    ++count;
    return Status::Ok();
  });
  if (!scanned.ok()) return scanned;
  return count;
}

Status ResetKeys(const std::string& redis_url, const std::string& key_prefix) {
  Result<std::unique_ptr<RedisConnection>> redis = RedisConnection::Open(redis_url);
  if (!redis.ok()) return redis.status();
  std::vector<std::string> keys;
  Status scanned = ScanKeys(*redis.value(), key_prefix, [&](const std::string& key) {
    keys.push_back(key);
    return Status::Ok();
  });
  if (!scanned.ok()) return scanned;
  for (const std::string& key : keys) {
    Result<RedisReplyPtr> deleted = redis.value()->Command({"DEL", key});
    if (!deleted.ok()) return deleted.status();
  }
  return Status::Ok();
}

}  // namespace csim::adapters
