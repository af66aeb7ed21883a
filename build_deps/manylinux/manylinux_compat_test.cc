// Linked with the op library's --wrap flags: the standard calls below go
// through the wrappers, and __real_<symbol> is the system's own symbol.
#include "build_deps/manylinux/manylinux_compat.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <math.h>
#include <sys/single_threaded.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
int __real_stat(const char* path, struct stat* info);
double __real_pow(double base, double exponent);
// std::condition_variable::wait(std::unique_lock<std::mutex>&), by its
// symbol, to take its address.
void _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE(
    std::condition_variable*, std::unique_lock<std::mutex>*);
}

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

template <typename F>
void* Address(F* f) {
  return reinterpret_cast<void*>(f);
}

TEST(ManylinuxCompat, TheLinkFlagsRouteEverySymbolToItsWrapper) {
  EXPECT_EQ(Address(&::stat), Address(&__wrap_stat));
  EXPECT_EQ(Address(static_cast<double (*)(double, double)>(&::pow)),
            Address(&__wrap_pow));
  EXPECT_EQ(Address(&::pthread_cond_clockwait),
            Address(&__wrap_pthread_cond_clockwait));
  EXPECT_EQ(&__libc_single_threaded, &__wrap___libc_single_threaded);
  EXPECT_EQ(Address(&std::__throw_bad_array_new_length),
            Address(&__wrap__ZSt28__throw_bad_array_new_lengthv));
  EXPECT_EQ(
      Address(&_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE),
      Address(&__wrap__ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE));
  EXPECT_EQ(Address(&::pthread_once), Address(&__wrap_pthread_once));
  EXPECT_EQ(Address(&::dlopen), Address(&__wrap_dlopen));
  EXPECT_EQ(Address(&::fstat), Address(&__wrap_fstat));
}

int once_calls = 0;
void CountOnce() { ++once_calls; }

// What static OpenSSL calls, through the wrappers: the same behaviour.
TEST(ManylinuxCompat, PthreadDlAndFstatWrappersBehaveAsTheSystemOnes) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  EXPECT_EQ(pthread_once(&once, CountOnce), 0);
  EXPECT_EQ(pthread_once(&once, CountOnce), 0);
  EXPECT_EQ(once_calls, 1);
  pthread_key_t key;
  ASSERT_EQ(pthread_key_create(&key, nullptr), 0);
  int value = 7;
  EXPECT_EQ(pthread_setspecific(key, &value), 0);
  EXPECT_EQ(pthread_getspecific(key), &value);
  EXPECT_EQ(pthread_key_delete(key), 0);
  pthread_rwlock_t lock;
  ASSERT_EQ(pthread_rwlock_init(&lock, nullptr), 0);
  EXPECT_EQ(pthread_rwlock_rdlock(&lock), 0);
  EXPECT_EQ(pthread_rwlock_unlock(&lock), 0);
  EXPECT_EQ(pthread_rwlock_wrlock(&lock), 0);
  EXPECT_EQ(pthread_rwlock_unlock(&lock), 0);
  EXPECT_EQ(pthread_rwlock_destroy(&lock), 0);
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  EXPECT_EQ(pthread_sigmask(SIG_BLOCK, &pipe_set, &old), 0);
  EXPECT_EQ(pthread_sigmask(SIG_SETMASK, &old, nullptr), 0);
  void* self = dlopen(nullptr, RTLD_NOW);
  ASSERT_NE(self, nullptr) << dlerror();
  EXPECT_NE(dlsym(self, "malloc"), nullptr);
  EXPECT_EQ(dlsym(self, "no_such_symbol_anywhere"), nullptr);
  EXPECT_NE(dlerror(), nullptr);
  Dl_info info;
  EXPECT_NE(dladdr(reinterpret_cast<void*>(&CountOnce), &info), 0);
  EXPECT_EQ(dlclose(self), 0);
  struct stat by_fd;
  const int fd = open("/proc/self/exe", O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fstat(fd, &by_fd), 0);
  close(fd);
  struct stat by_path;
  ASSERT_EQ(stat("/proc/self/exe", &by_path), 0);
  EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
  EXPECT_EQ(by_fd.st_size, by_path.st_size);
}

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(ManylinuxCompat, StatReportsWhatTheSystemStatReports) {
  const std::string file = TempPath("manylinux_compat_stat");
  const int fd = open(file.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0640);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "twelve bytes", 12), 12);
  close(fd);
  for (const std::string& path : {file, TempPath("")}) {
    struct stat ours, system;
    ASSERT_EQ(::stat(path.c_str(), &ours), 0) << path;
    ASSERT_EQ(__real_stat(path.c_str(), &system), 0) << path;
    EXPECT_EQ(ours.st_ino, system.st_ino) << path;
    EXPECT_EQ(ours.st_mode, system.st_mode) << path;
    EXPECT_EQ(ours.st_size, system.st_size) << path;
    EXPECT_EQ(ours.st_mtim.tv_nsec, system.st_mtim.tv_nsec) << path;
  }
  struct stat info;
  EXPECT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(info.st_size, 12);
  errno = 0;
  EXPECT_EQ(::stat(TempPath("no_such_file").c_str(), &info), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST(ManylinuxCompat, PowGivesTheSystemPowBitForBitWithItsErrno) {
  const double inf = std::numeric_limits<double>::infinity();
  const double cases[][2] = {{10, -5},   {10, 22},    {2, 0.5},  {-2, 3},
                             {1.0001, 1e6}, {0, -1},  {1e308, 2}, {-1, 0.5},
                             {inf, -1},  {0.5, 1074.5}, {7, 0}};
  for (const auto& c : cases) {
    errno = 0;
    const double ours = ::pow(c[0], c[1]);
    const int our_errno = errno;
    errno = 0;
    const double system = __real_pow(c[0], c[1]);
    const int system_errno = errno;
    if (isnan(system)) {
      EXPECT_TRUE(isnan(ours)) << c[0] << "^" << c[1];
    } else {
      EXPECT_EQ(std::memcmp(&ours, &system, sizeof ours), 0)
          << c[0] << "^" << c[1] << ": " << ours << " vs " << system;
    }
    EXPECT_EQ(our_errno, system_errno) << c[0] << "^" << c[1];
  }
}

TEST(ManylinuxCompat, SteadyWaitTimesOutAtItsDeadline) {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  // Longer than a slice, so the wrapper returns early and the caller re-waits.
  const auto timeout = milliseconds(3 * tfra::manylinux::kClockwaitSliceMs);
  const auto start = steady_clock::now();
  EXPECT_FALSE(cv.wait_until(lock, start + timeout, [] { return false; }));
  const auto waited = steady_clock::now() - start;
  EXPECT_GE(waited, timeout);
  EXPECT_LT(waited, timeout + milliseconds(5000));
}

TEST(ManylinuxCompat, SteadyWaitWakesWhenNotified) {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  std::thread notifier([&] {
    std::this_thread::sleep_for(milliseconds(50));
    std::lock_guard<std::mutex> guard(mu);
    ready = true;
    cv.notify_one();
  });
  const auto start = steady_clock::now();
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return ready; }));
  }
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(30));
  notifier.join();
}

TEST(ManylinuxCompat, ClockwaitReturnsEarlyAfterOneSliceAsASpuriousWakeup) {
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += 3600;
  pthread_mutex_lock(&mu);
  const auto start = steady_clock::now();
  EXPECT_EQ(pthread_cond_clockwait(&cond, &mu, CLOCK_MONOTONIC, &deadline), 0);
  const auto waited = steady_clock::now() - start;
  pthread_mutex_unlock(&mu);
  EXPECT_GE(waited, milliseconds(tfra::manylinux::kClockwaitSliceMs));
  EXPECT_LT(waited, std::chrono::seconds(30));
}

TEST(ManylinuxCompat, ClockwaitRejectsWhatGlibcRejects) {
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  pthread_mutex_lock(&mu);
  EXPECT_EQ(pthread_cond_clockwait(&cond, &mu, CLOCK_MONOTONIC, &now),
            ETIMEDOUT);
  EXPECT_EQ(pthread_cond_clockwait(&cond, &mu, CLOCK_PROCESS_CPUTIME_ID, &now),
            EINVAL);
  struct timespec bad = now;
  bad.tv_nsec = 1000000000L;
  EXPECT_EQ(pthread_cond_clockwait(&cond, &mu, CLOCK_MONOTONIC, &bad), EINVAL);
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  wall.tv_nsec = 0;  // already past
  EXPECT_EQ(pthread_cond_clockwait(&cond, &mu, CLOCK_REALTIME, &wall),
            ETIMEDOUT);
  pthread_mutex_unlock(&mu);
}

TEST(ManylinuxCompat, PlainWaitReturnsWhenNotified) {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> waiting{false};
  bool ready = false;
  std::thread notifier([&] {
    while (!waiting.load()) std::this_thread::yield();
    std::lock_guard<std::mutex> guard(mu);
    ready = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  waiting = true;
  cv.wait(lock, [&] { return ready; });
  EXPECT_TRUE(ready);
  lock.unlock();
  notifier.join();
}

TEST(ManylinuxCompat, OversizedArrayAllocationThrowsBadArrayNewLength) {
  std::allocator<std::string> allocator;
  EXPECT_THROW((void)allocator.allocate(std::numeric_limits<size_t>::max() / 2),
               std::bad_array_new_length);
  EXPECT_THROW(__wrap__ZSt28__throw_bad_array_new_lengthv(),
               std::bad_array_new_length);
}

TEST(ManylinuxCompat, SharedPointersAlwaysCountAtomically) {
  EXPECT_EQ(__libc_single_threaded, 0);
}

}  // namespace
