#include "adapters/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <charconv>

#include "core/check.h"

namespace csim::adapters {
namespace {

timeval ToTimeval(DurationUs duration_us) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(duration_us / kSecondUs);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>(duration_us % kSecondUs);
  return tv;
}

// A whole number in [low, high] from all of `text`, or nullopt.
std::optional<int> ParseInt(std::string_view text, int low, int high) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value < low || value > high) return std::nullopt;
  return value;
}

}  // namespace

Result<RedisAddress> RedisAddress::Parse(const std::string& url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) {
    return Status{Code::kInvalidArgument, "redis URL '" + url + "' must start with redis://"};
  }
  std::string_view rest = std::string_view{url}.substr(kScheme.size());
  RedisAddress address;
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    const std::optional<int> db = ParseInt(rest.substr(slash + 1), 0, 15);
    if (!db) return Status{Code::kInvalidArgument, "redis URL '" + url + "': db must be 0..15"};
    address.db = *db;
    rest = rest.substr(0, slash);
  }
  if (rest.find('@') != std::string_view::npos) {
    return Status{Code::kInvalidArgument,
                  "redis URL '" + url + "': credentials are not supported (loopback servers)"};
  }
  if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    const std::optional<int> port = ParseInt(rest.substr(colon + 1), 1, 65535);
    if (!port) return Status{Code::kInvalidArgument, "redis URL '" + url + "': bad port"};
    address.port = *port;
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Status{Code::kInvalidArgument, "redis URL '" + url + "': no host"};
  address.host = std::string{rest};
  CSIM_CHECK(address.port > 0);
  return address;
}

std::string RedisAddress::Name() const {
  return "redis at " + host + ":" + std::to_string(port);
}

void RedisReplyDeleter::operator()(redisReply* reply) const {
  freeReplyObject(reply);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(const std::string& url) {
  Result<RedisAddress> address = RedisAddress::Parse(url);
  if (!address.ok()) return address.status();
  auto connection = std::make_unique<RedisConnection>(std::move(address).value());
  if (Status status = connection->Connect(); !status.ok()) return status;
  return connection;
}

RedisConnection::RedisConnection(RedisAddress address) : address_(std::move(address)) {
  CSIM_CHECK(!address_.host.empty(), "a parsed address");
}

RedisConnection::~RedisConnection() {
  Drop();
}

void RedisConnection::Drop() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

Status RedisConnection::Connect() {
  Drop();
  context_ =
      redisConnectWithTimeout(address_.host.c_str(), address_.port, ToTimeval(kConnectTimeoutUs));
  if (context_ == nullptr || context_->err != 0) {
    const std::string why = context_ != nullptr ? context_->errstr : "out of memory";
    Drop();
    return Status{Code::kUnavailable, address_.Name() + ": cannot connect: " + why};
  }
  redisSetTimeout(context_, ToTimeval(kCommandTimeoutUs));
  if (address_.db != 0) {
    Result<RedisReplyPtr> selected = Command({"SELECT", std::to_string(address_.db)});
    if (!selected.ok()) return selected.status();
  }
  CSIM_CHECK(context_ != nullptr);
  return Status::Ok();
}

Result<RedisReplyPtr> RedisConnection::Command(const std::vector<std::string>& args) {
  CSIM_CHECK(!args.empty(), "a command has a name");
  if (context_ == nullptr) {
    if (Status status = Connect(); !status.ok()) return status;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lengths.data()));
  if (raw == nullptr) {
    // The command may have reached the server before the connection broke: its effect is unknown.
    const std::string why = context_->errstr;
    Drop();
    return Status{Code::kTimeout, address_.Name() + ": " + args[0] + " got no answer: " + why};
  }
  RedisReplyPtr reply{raw};
  if (reply->type == REDIS_REPLY_ERROR) {
    return Status{Code::kFailedPrecondition, address_.Name() + ": " + args[0] +
                                                 " failed: " + std::string{reply->str, reply->len}};
  }
  return reply;
}

}  // namespace csim::adapters
