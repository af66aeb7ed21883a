// A child process spoken to in lines: its stdin and stdout are one end of a
// socket pair, so that writes to a dead child fail instead of raising SIGPIPE
// (MSG_NOSIGNAL), and closing our end is the EOF that tells it to finish.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TESTING_CHILD_PROCESS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace tfra {
namespace redis_client {
namespace testing {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept;
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  int get() const { return fd_; }
  void Reset();

 private:
  int fd_;
};

// Not thread-safe. The destructor closes and waits (see CloseAndWait).
class ChildProcess {
 public:
  // Runs argv[0] (looked up on PATH) with `argv`; stderr is inherited.
  static std::unique_ptr<ChildProcess> Spawn(
      const std::vector<std::string>& argv, std::string* error);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Writes `line` and a newline to the child's stdin.
  bool WriteLine(const std::string& line, std::string* error);
  // Reads one line (without its newline) from the child's stdout.
  bool ReadLine(std::chrono::seconds timeout, std::string* line,
                std::string* error);
  // Closes the child's stdin and stdout, then waits up to `timeout` for it to
  // exit; a child still running then gets SIGKILL. True when it exited with
  // status 0. Later calls return true.
  bool CloseAndWait(std::chrono::seconds timeout, std::string* error);

 private:
  ChildProcess(pid_t pid, UniqueFd fd);

  pid_t pid_;           // -1 once reaped.
  UniqueFd fd_;
  std::string buffer_;  // Read but not yet returned.
};

}  // namespace testing
}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TESTING_CHILD_PROCESS_H_
