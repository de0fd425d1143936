#include "adapters/pg_connection.h"

#include <nlohmann/json.hpp>

namespace csim::adapters {
namespace {

// "host:port" of a postgresql:// URL, without user or password, for messages.
std::string ServerOf(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  if (const std::size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (const std::size_t end = rest.find_first_of("/?"); end != std::string::npos) {
    rest = rest.substr(0, end);
  }
  return rest.empty() ? "localhost" : rest;
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Create(const std::string& url) {
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    return Status{Code::kInvalidArgument,
                  "postgres URL '" + url + "' must start with postgresql:// or postgres://"};
  }
  return std::unique_ptr<PgConnection>{new PgConnection(url, "postgresql at " + ServerOf(url))};
}

Status PgConnection::Connect() {
  if (connection_ != nullptr && connection_->is_open()) return Status::Ok();
  connection_.reset();
  try {
    // connect_timeout bounds a server that accepts nothing (a black hole), not only a refusal.
    const std::string separator = url_.find('?') == std::string::npos ? "?" : "&";
    const std::string url = url_.find("connect_timeout=") == std::string::npos
                                ? url_ + separator + "connect_timeout=3"
                                : url_;
    connection_ = std::make_unique<pqxx::connection>(url);
  } catch (const std::exception& error) {
    connection_.reset();
    std::string why = error.what();
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return Status{Code::kUnavailable, name_ + ": cannot connect: " + why};
  }
  CSIM_CHECK(connection_->is_open());
  return Status::Ok();
}

Status PgConnection::Map(const char* what, const std::exception& error) {
  std::string why = error.what();
  while (!why.empty() && why.back() == '\n') why.pop_back();
  const std::string prefix = name_ + ": " + what + ": ";
  if (dynamic_cast<const TextRefused*>(&error) != nullptr ||
      dynamic_cast<const nlohmann::json::exception*>(&error) != nullptr) {
    // Text PostgreSQL cannot hold: a NUL byte, or invalid UTF-8 inside a jsonb value.
    return Status{Code::kInvalidArgument, prefix + "text refused: " + why};
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&error) != nullptr) {
    return Status{Code::kConflict, prefix + "unique constraint violated: " + why};
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    connection_.reset();
    return Status{Code::kTimeout, prefix + "commit outcome unknown: " + why};
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    connection_.reset();
    return Status{Code::kUnavailable, prefix + "connection lost: " + why};
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error); sql != nullptr) {
    const std::string state = sql->sqlstate();
    if (state == "40001" || state == "40P01") {
      return Status{Code::kUnavailable, prefix + "transaction aborted, retry: " + why};
    }
    // Class 57 (operator intervention: server shutting down) and 08 (connection) are outages.
    if (state.starts_with("57") || state.starts_with("08")) {
      connection_.reset();
      return Status{Code::kUnavailable, prefix + "server unavailable: " + why};
    }
    return Status{Code::kInvalidArgument, prefix + "rejected (" + state + "): " + why};
  }
  if (connection_ != nullptr && !connection_->is_open()) connection_.reset();
  return Status{Code::kUnavailable, prefix + why};
}

}  // namespace csim::adapters
