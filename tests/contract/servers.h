#pragma once
// Throwaway servers for the contract tests: a redis-server and a PostgreSQL cluster started on
// free loopback ports in temporary folders, and stopped (folders removed) at the end. Wall-clock
// waits here are bounded (kStartWaitUs); they belong to the tests of adapters/, never to a
// simulation. A server that cannot start is reported with the reason and the tail of its log.

#include <sys/types.h>
#include <string>

#include "core/status.h"
#include "core/time.h"

namespace csim::contract {

inline constexpr DurationUs kStartWaitUs = 30 * kSecondUs;

class RedisServer {
 public:
  RedisServer() = default;
  ~RedisServer() { Stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts redis-server on 127.0.0.1 on a free port, without persistence. kUnavailable says why
  // it could not (not installed, exited, did not answer PING in time).
  Status Start();
  // SIGTERM and wait. Idempotent.
  void Stop();
  // Kills and starts it again on the same port (a server restart).
  Status Restart();
  // SIGKILL, keeping the port and folder: the server is gone until Restart.
  void Kill();
  const std::string& url() const { return url_; }
  int port() const { return port_; }

 private:
  Status Launch();
  std::string dir_;
  std::string url_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class PostgresServer {
 public:
  PostgresServer() = default;
  ~PostgresServer() { Stop(); }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // initdb in a temporary folder (as the postgres user when run as root: initdb refuses root),
  // then pg_ctl start on 127.0.0.1 on a free port, trust authentication, fsync off.
  Status Start();
  // pg_ctl stop -m immediate. Idempotent.
  void Stop();
  const std::string& url() const { return url_; }

 private:
  std::string dir_;
  std::string bin_dir_;
  std::string url_;
  int port_ = 0;
  bool running_ = false;
};

// The servers of this test binary, started on first use and stopped at exit.
struct Servers {
  RedisServer redis;
  PostgresServer postgres;
  Status redis_status;
  Status postgres_status;
};
Servers& SharedServers();
void StopSharedServers();

}  // namespace csim::contract
