#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/child_process.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>
#include <utility>

extern char** environ;

namespace tfra {
namespace redis_client {
namespace testing {

namespace {

using Clock = std::chrono::steady_clock;

std::string ErrnoText(const std::string& what) {
  return what + ": " + strerror(errno);
}

// posix_spawn file actions, destroyed on scope exit.
class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

}  // namespace

UniqueFd::UniqueFd(UniqueFd&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  Reset();
  fd_ = std::exchange(other.fd_, -1);
  return *this;
}

void UniqueFd::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

std::unique_ptr<ChildProcess> ChildProcess::Spawn(
    const std::vector<std::string>& argv, std::string* error) {
  int pair[2];
  // CLOEXEC: no other child of this process inherits the pair, which would
  // keep our end open and hide the EOF from this child.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    *error = ErrnoText("socketpair");
    return nullptr;
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  SpawnActions actions;
  posix_spawn_file_actions_adddup2(actions.get(), theirs.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(actions.get(), theirs.get(), STDOUT_FILENO);
  pid_t pid = -1;
  const int rc =
      posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ);
  if (rc != 0) {
    *error = "cannot run " + argv[0] + ": " + strerror(rc);
    return nullptr;
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, std::move(ours)));
}

ChildProcess::ChildProcess(pid_t pid, UniqueFd fd)
    : pid_(pid), fd_(std::move(fd)) {}

ChildProcess::~ChildProcess() {
  std::string ignored;
  CloseAndWait(std::chrono::seconds(60), &ignored);
}

bool ChildProcess::WriteLine(const std::string& line, std::string* error) {
  const std::string data = line + "\n";
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd_.get(), data.data() + sent, data.size() - sent,
                           MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = ErrnoText("writing to the child process");
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool ChildProcess::ReadLine(std::chrono::seconds timeout, std::string* line,
                            std::string* error) {
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t newline;
  while ((newline = buffer_.find('\n')) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    pollfd poll_fd = {fd_.get(), POLLIN, 0};
    const int ready = left.count() > 0
                          ? poll(&poll_fd, 1, static_cast<int>(left.count()))
                          : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      *error = "no answer from the child process within " +
               std::to_string(timeout.count()) + "s";
      return false;
    }
    char chunk[4096];
    const ssize_t n = ready < 0 ? -1 : recv(fd_.get(), chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = n == 0 ? "the child process closed its stdout (see its stderr)"
                      : ErrnoText("reading from the child process");
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  line->assign(buffer_, 0, newline);
  buffer_.erase(0, newline + 1);
  return true;
}

bool ChildProcess::CloseAndWait(std::chrono::seconds timeout,
                                std::string* error) {
  if (pid_ < 0) return true;
  fd_.Reset();
  const pid_t pid = std::exchange(pid_, -1);
  const Clock::time_point deadline = Clock::now() + timeout;
  int status = 0;
  pid_t done;
  // Polls: waitpid has no timeout, and a signal-based wait would touch
  // process-wide state.
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    *error = "child process " + std::to_string(pid) + " still ran after " +
             std::to_string(timeout.count()) + "s; killed it";
    return false;
  }
  if (done < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *error = "child process " + std::to_string(pid) +
             " ended abnormally (wait status " + std::to_string(status) + ")";
    return false;
  }
  return true;
}

}  // namespace testing
}  // namespace redis_client
}  // namespace tfra
