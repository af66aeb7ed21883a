#include "tools/bench/helper_thread.h"

#include <utility>

namespace tfra {
namespace bench {

HelperThread::HelperThread() : thread_([this] { Loop(); }) {}

HelperThread::~HelperThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void HelperThread::Start(Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = std::move(job);
    finished_ = false;
  }
  changed_.notify_all();
}

std::string HelperThread::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return finished_; });
  finished_ = false;
  return std::move(result_);
}

void HelperThread::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stop_ || job_ != nullptr; });
    if (stop_) return;
    Job job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    std::string result = job();
    lock.lock();
    result_ = std::move(result);
    finished_ = true;
    changed_.notify_all();
  }
}

}  // namespace bench
}  // namespace tfra
