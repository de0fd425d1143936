#pragma once
// PgConnection (adapters/ only): one libpqxx connection, opened again on the next call after it
// broke, and the one place where PostgreSQL's failures become Status codes:
//   unique violation (23505)          -> kConflict (a distinct, typed error: the constraint's name
//                                        is in the message)
//   commit outcome unknown            -> kTimeout
//   connection refused or lost        -> kUnavailable (the transaction was rolled back)
//   serialization failure, deadlock   -> kUnavailable (safe to retry)
//   any other SQL error               -> kInvalidArgument (the request, e.g. invalid UTF-8)
//   text it cannot hold (Text, JSON)  -> kInvalidArgument
// Every message starts with "postgresql at host:port".

#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

#include "core/check.h"
#include "core/status.h"

namespace csim::adapters {

// Thrown by Text() for a value PostgreSQL's text cannot hold; PgConnection::Run maps it to
// kInvalidArgument (the transaction is rolled back).
class TextRefused : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// `value` as a text parameter. A NUL byte is refused: libpq sends text parameters as C strings and
// would store the value silently cut at the NUL. (Invalid UTF-8 is refused by the server.)
inline const std::string& Text(const std::string& value) {
  if (value.find('\0') != std::string::npos) throw TextRefused{"text holds a NUL byte"};
  return value;
}

class PgConnection {
 public:
  // Validates the URL's shape (postgresql:// or postgres://). Does not connect.
  static Result<std::unique_ptr<PgConnection>> Create(const std::string& url);

  // Connects if not connected. kUnavailable naming the server if it cannot.
  Status Connect();
  // The server's name for messages: "postgresql at host:port" (no credentials).
  const std::string& name() const { return name_; }

  // Runs `work(connection)` (which returns a Status or a Result) with the failures above mapped.
  template <class R, class Work>
  R Run(const char* what, Work work) {
    if (Status status = Connect(); !status.ok()) return status;
    CSIM_CHECK(connection_ != nullptr);
    try {
      return work(*connection_);
    } catch (const CheckFailure&) {
      throw;  // a bug in checkout-sim, never a database failure
    } catch (const std::exception& error) {
      return R{Map(what, error)};
    }
  }

 private:
  PgConnection(std::string url, std::string name) : url_(std::move(url)), name_(std::move(name)) {}
  Status Map(const char* what, const std::exception& error);

  std::string url_;
  std::string name_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace csim::adapters
