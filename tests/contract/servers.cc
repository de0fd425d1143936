#include "tests/contract/servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "core/check.h"

extern char** environ;

namespace csim::contract {
namespace {

constexpr DurationUs kPollUs = 20 * kMillisecondUs;

// A port the kernel says is free on 127.0.0.1 now (a race with other processes is retried by the
// callers' start checks).
Result<int> FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status{Code::kUnavailable, "socket() failed"};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!bound) return Status{Code::kUnavailable, "no free loopback port"};
  return static_cast<int>(ntohs(address.sin_port));
}

// Whether something accepts TCP connections on 127.0.0.1:port.
bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

std::string MakeTempDir(const char* name) {
  std::string pattern = std::string{"/tmp/"} + name + "-XXXXXX";
  CSIM_CHECK(::mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  return pattern;
}

std::string Tail(const std::string& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  constexpr std::size_t kTailMax = 1'500;
  return all.size() > kTailMax ? all.substr(all.size() - kTailMax) : all;
}

// Starts `argv` with stdout and stderr appended to `log`; the child's pid, or -1.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return error == 0 ? pid : -1;
}

constexpr int kNotStarted = -2;  // RunCommand: the program could not be started at all

// Runs `argv` to its end (bounded by the command's own timeout flags); its exit status, -1 if it
// died of a signal, kNotStarted if it could not be started.
int RunCommand(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = Spawn(argv, log);
  if (pid < 0) return kNotStarted;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs{path != nullptr ? path : ""};
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// The folder of PostgreSQL's server programs (initdb, pg_ctl): Debian keeps them off PATH.
std::string PostgresBinDir() {
  glob_t found{};
  std::string dir;
  if (::glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &found) == 0 && found.gl_pathc > 0) {
    dir = std::filesystem::path{found.gl_pathv[found.gl_pathc - 1]}.parent_path();
  }
  ::globfree(&found);
  if (dir.empty() && OnPath("initdb")) dir = "";  // from PATH
  return dir;
}

}  // namespace

// ---- Redis ----

Status RedisServer::Start() {
  if (!OnPath("redis-server")) {
    return Status{Code::kUnavailable,
                  "redis-server is not installed (Debian package redis-server; "
                  "scripts/bootstrap.sh installs it)"};
  }
  dir_ = MakeTempDir("csim-redis");
  constexpr int kPortAttempts = 3;
  Status status;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    Result<int> port = FreePort();
    if (!port.ok()) return port.status();
    port_ = port.value();
    status = Launch();
    if (status.ok()) break;
  }
  return status;
}

Status RedisServer::Launch() {
  const std::string log = dir_ + "/redis.log";
  pid_ = Spawn({"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save",
                "", "--appendonly", "no", "--dir", dir_, "--daemonize", "no"},
               log);
  if (pid_ < 0) return Status{Code::kUnavailable, "could not start redis-server"};
  for (DurationUs waited = 0; waited < kStartWaitUs; waited += kPollUs) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status{Code::kUnavailable, "redis-server on port " + std::to_string(port_) +
                                            " exited at start: " + Tail(log)};
    }
    if (Accepts(port_)) {
      url_ = "redis://127.0.0.1:" + std::to_string(port_);
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::microseconds{kPollUs});
  }
  Stop();
  return Status{Code::kUnavailable,
                "redis-server did not accept connections within 30 s: " + Tail(log)};
}

Status RedisServer::Restart() {
  Kill();
  return Launch();
}

void RedisServer::Kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void RedisServer::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
}

// ---- PostgreSQL ----

Status PostgresServer::Start() {
  bin_dir_ = PostgresBinDir();
  if (bin_dir_.empty() && !OnPath("initdb")) {
    return Status{Code::kUnavailable,
                  "PostgreSQL's initdb was not found (Debian package postgresql; "
                  "scripts/bootstrap.sh installs it)"};
  }
  const std::string initdb = bin_dir_.empty() ? "initdb" : bin_dir_ + "/initdb";
  const std::string pg_ctl = bin_dir_.empty() ? "pg_ctl" : bin_dir_ + "/pg_ctl";
  dir_ = MakeTempDir("csim-postgres");
  std::vector<std::string> as_user;
  if (::geteuid() == 0) {
    // initdb and postgres refuse to run as root: run them as the postgres user, in a folder
    // it owns.
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      return Status{Code::kUnavailable,
                    "running as root and there is no postgres user to run initdb as"};
    }
    if (::chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return Status{Code::kUnavailable, "cannot give " + dir_ + " to the postgres user"};
    }
    as_user = {"runuser", "-u", "postgres", "--"};
  }
  // initdb's output goes to a file this process opens; the server writes its own log (as the
  // postgres user, who could not append to a file root created).
  const std::string log = dir_ + "/initdb.log";
  const std::string server_log = dir_ + "/server.log";
  const std::string data = dir_ + "/data";
  std::vector<std::string> init = as_user;
  for (const std::string& arg :
       {initdb, std::string{"-D"}, data, std::string{"-A"}, std::string{"trust"}, std::string{"-U"},
        std::string{"postgres"}, std::string{"-E"}, std::string{"UTF8"}, std::string{"--no-sync"},
        std::string{"--locale=C"}}) {
    init.push_back(arg);
  }
  if (const int exit_code = RunCommand(init, log); exit_code != 0) {
    if (exit_code == kNotStarted) {
      return Status{Code::kUnavailable, "could not run " + init.front() + " (not on PATH?)"};
    }
    return Status{Code::kUnavailable, "initdb failed in " + data + ": " + Tail(log)};
  }
  constexpr int kPortAttempts = 3;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    Result<int> port = FreePort();
    if (!port.ok()) return port.status();
    port_ = port.value();
    std::vector<std::string> start = as_user;
    for (const std::string& arg :
         {pg_ctl, std::string{"-D"}, data, std::string{"-l"}, server_log, std::string{"-w"},
          std::string{"-t"}, std::to_string(kStartWaitUs / kSecondUs), std::string{"-o"},
          "-p " + std::to_string(port_) + " -k " + dir_ +
              " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
              " -c full_page_writes=off",
          std::string{"start"}}) {
      start.push_back(arg);
    }
    if (RunCommand(start, dir_ + "/pg_ctl.log") == 0) {
      running_ = true;
      url_ = "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
      return Status::Ok();
    }
  }
  return Status{Code::kUnavailable,
                "PostgreSQL did not start: " + Tail(dir_ + "/pg_ctl.log") + Tail(server_log)};
}

void PostgresServer::Stop() {
  if (running_) {
    std::vector<std::string> stop;
    if (::geteuid() == 0) stop = {"runuser", "-u", "postgres", "--"};
    const std::string pg_ctl = bin_dir_.empty() ? "pg_ctl" : bin_dir_ + "/pg_ctl";
    for (const std::string& arg :
         {pg_ctl, std::string{"-D"}, dir_ + "/data", std::string{"-m"}, std::string{"immediate"},
          std::string{"-w"}, std::string{"stop"}}) {
      stop.push_back(arg);
    }
    RunCommand(stop, "/dev/null");
    running_ = false;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
}

// ---- Shared ----

namespace {
Servers* shared_servers = nullptr;
}  // namespace

Servers& SharedServers() {
  if (shared_servers == nullptr) {
    shared_servers = new Servers;
    shared_servers->redis_status = shared_servers->redis.Start();
    shared_servers->postgres_status = shared_servers->postgres.Start();
  }
  return *shared_servers;
}

void StopSharedServers() {
  if (shared_servers == nullptr) return;  // never started: nothing to stop
  delete shared_servers;                  // each server stops in its destructor
  shared_servers = nullptr;
}

}  // namespace csim::contract
