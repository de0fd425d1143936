#pragma once
// The versioned schema files of adapters/sql/ (compiled in) and the migration that applies them:
// each schema ("checkout", "orders") records the versions applied in its schema_migrations table;
// a file whose version is not there is applied, with its row, in one transaction, in version
// order. A transaction-scoped advisory lock serializes two processes migrating at once.

#include <string>
#include <vector>

#include "core/status.h"

namespace csim::adapters {

class PgConnection;

struct SqlFile {
  const char* schema;  // the folder under adapters/sql/
  const char* name;    // NNN_name.sql; NNN is the version
  const char* text;
};

// Every file of adapters/sql/, in the order CMakeLists.txt lists them.
const std::vector<SqlFile>& SqlFiles();

// Creates `schema` and applies its files not yet applied. Returns the versions applied now.
Result<std::vector<int>> Migrate(PgConnection& connection, const std::string& schema);

}  // namespace csim::adapters
