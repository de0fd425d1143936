#pragma once
// RedisConnection: one blocking hiredis connection, reconnected on the next command after it broke,
// with every failure mapped to a Status that names the backend and what failed. Only adapters/ uses
// it.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"

struct redisContext;
struct redisReply;

namespace csim::adapters {

// redis://host[:port][/db]: where a Redis server listens. kInvalidArgument names what is wrong.
struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
  static Result<RedisAddress> Parse(const std::string& url);
  std::string Name() const;  // "redis at host:port"
};

// An owned reply (freed with it).
struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

class RedisConnection {
 public:
  static constexpr DurationUs kConnectTimeoutUs = 2 * kSecondUs;
  static constexpr DurationUs kCommandTimeoutUs = 5 * kSecondUs;

  // Parses `url` and connects: kInvalidArgument for a bad URL, kUnavailable naming the server.
  static Result<std::unique_ptr<RedisConnection>> Open(const std::string& url);

  explicit RedisConnection(RedisAddress address);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects now (and selects the db): kUnavailable naming the server if it cannot.
  Status Connect();
  // Runs one command (binary-safe arguments). kUnavailable if not connected and the reconnect
  // failed (nothing was sent); kTimeout if the connection broke after sending (the effect is
  // unknown); kFailedPrecondition for an error reply of the server, with its text.
  Result<RedisReplyPtr> Command(const std::vector<std::string>& args);
  const RedisAddress& address() const { return address_; }

 private:
  void Drop();

  RedisAddress address_;
  redisContext* context_ = nullptr;
};

}  // namespace csim::adapters
