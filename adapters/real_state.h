#pragma once
// What the real systems hold, read back whole for the invariants of a real run (realrun/): every
// row of both databases in one consistent read, every entry of the bus's streams with each
// consumer group's position and unacked entries. Also the reset of both systems before a run.
// Reads are bounded (kRowsReadMax, kStreamEntriesReadMax): a bigger state is an error, never a
// silently cut snapshot.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace csim::adapters {

inline constexpr std::int64_t kRowsReadMax = 1'000'000;  // per table
inline constexpr std::int64_t kStreamEntriesReadMax = 1'000'000;
inline constexpr std::int64_t kStreamsReadMax = 10'000;

// One row of orders.order_status_changes, the database's own log of status changes.
struct StatusChangeRow {
  std::string order_id;
  OrderStatus from = OrderStatus::kPending;
  OrderStatus to = OrderStatus::kPending;
  TimeUs at_us = 0;
};

// Both databases (schemas "checkout" and "orders"), read in one repeatable-read transaction.
struct DatabaseState {
  std::vector<Cart> carts;                        // by id
  std::vector<OutboxRow> checkout_outbox;         // by id
  std::vector<FailedCompensation> compensations;  // by id
  std::vector<Order> orders;                      // by id, with their items
  std::vector<StatusChangeRow> status_changes;    // in commit order
  std::vector<OutboxRow> order_outbox;            // by id
  std::set<std::string> processed_event_ids;
};

// Reads every row of both schemas. kUnavailable naming the server, kInvalidArgument for a row
// that does not decode or a table above kRowsReadMax.
Result<DatabaseState> ReadDatabases(const std::string& postgres_url);

// Whether both schemas exist, as a count of carts + orders (0 if they do not exist yet).
Result<std::int64_t> CountBusinessRows(const std::string& postgres_url);

// Empties the checkout and orders schemas' tables (ids restart) if they exist. Migrations stay.
Status ResetDatabases(const std::string& postgres_url);

// One stream entry of the bus, with what each consumer group of its stream made of it.
struct StreamEntry {
  std::string entry_id;  // "<ms>-<seq>", Redis' own
  Event event;
};
struct ConsumerGroupState {
  std::string topic;
  std::string group;              // the subscriber's name
  std::string last_delivered_id;  // entries after it were never handed out
  std::set<std::string> pending;  // entry ids handed out and never acked
};
struct BusState {
  std::vector<StreamEntry> entries;  // every stream under the prefix, by (ms, seq) of entry ids
  std::vector<ConsumerGroupState> groups;
  std::int64_t malformed = 0;  // entries that did not decode into an event
};

// Reads every stream "<key_prefix>stream:*" with its consumer groups.
Result<BusState> ReadBus(const std::string& redis_url, const std::string& key_prefix);

// Keys under `key_prefix` (locks, remembered results, streams).
Result<std::int64_t> CountKeys(const std::string& redis_url, const std::string& key_prefix);

// Deletes every key under `key_prefix`.
Status ResetKeys(const std::string& redis_url, const std::string& key_prefix);

// Whether Redis entry id `a` comes before `b` ("<ms>-<seq>", compared as numbers).
bool EntryIdBefore(const std::string& a, const std::string& b);

}  // namespace csim::adapters
