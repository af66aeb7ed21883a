// A second thread that runs one job at a time for its owner, so a benchmark
// can drive two clients at once without starting a thread per batch.
#ifndef TOOLS_BENCH_HELPER_THREAD_H_
#define TOOLS_BENCH_HELPER_THREAD_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace tfra {
namespace bench {

// Start() and Wait() alternate, called from the owning thread only.
class HelperThread {
 public:
  // A job returns "" on success, else an error message.
  using Job = std::function<std::string()>;

  HelperThread();
  ~HelperThread();
  HelperThread(const HelperThread&) = delete;
  HelperThread& operator=(const HelperThread&) = delete;

  // Hands `job` to the thread; the job runs while the owner continues.
  void Start(Job job);
  // Blocks until the started job has finished; returns its result.
  std::string Wait();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable changed_;
  Job job_;             // guarded by mu_; empty when no job is pending
  bool finished_ = false;  // guarded by mu_
  bool stop_ = false;      // guarded by mu_
  std::string result_;     // guarded by mu_
  std::thread thread_;     // last: starts once the fields above exist
};

}  // namespace bench
}  // namespace tfra

#endif  // TOOLS_BENCH_HELPER_THREAD_H_
