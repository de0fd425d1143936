#include "adapters/pg_schema.h"

#include <algorithm>
#include <charconv>

#include "adapters/pg_connection.h"

namespace csim::adapters {
namespace {

constexpr int kVersionMax = 999;

// The version of "NNN_name.sql".
int VersionOf(const SqlFile& file) {
  const std::string_view name = file.name;
  int version = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), version);
  CSIM_CHECK(error == std::errc{} && end != name.data() && *end == '_',
             "an SQL file is named NNN_name.sql");
  CSIM_CHECK(version >= 1 && version <= kVersionMax);
  return version;
}

}  // namespace

Result<std::vector<int>> Migrate(PgConnection& connection, const std::string& schema) {
  CSIM_CHECK(!schema.empty());
  std::vector<const SqlFile*> files;
  for (const SqlFile& file : SqlFiles()) {
    if (file.schema == schema) files.push_back(&file);
  }
  CSIM_CHECK(!files.empty(), "a schema without SQL files");
  std::sort(files.begin(), files.end(),
            [](const SqlFile* a, const SqlFile* b) { return VersionOf(*a) < VersionOf(*b); });
  return connection.Run<Result<std::vector<int>>>(
      "migrating schema", [&](pqxx::connection& c) -> Result<std::vector<int>> {
        pqxx::work tx{c};
        const std::string quoted = tx.quote_name(schema);
        // Two processes starting at once: the second waits here, then sees the versions applied.
        tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", "csim-migrate:" + schema);
        tx.exec("CREATE SCHEMA IF NOT EXISTS " + quoted);
        tx.exec("SET LOCAL search_path TO " + quoted);
        tx.exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
            "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        std::vector<int> applied;
        for (const SqlFile* file : files) {
          const int version = VersionOf(*file);
          const pqxx::result known =
              tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", version);
          if (!known.empty()) continue;
          tx.exec(file->text);
          tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version,
                         std::string{file->name});
          applied.push_back(version);
        }
        tx.commit();
        CSIM_CHECK(applied.size() <= files.size());
        return applied;
      });
}

}  // namespace csim::adapters
