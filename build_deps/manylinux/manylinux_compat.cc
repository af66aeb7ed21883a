// Wrappers that keep the op library at manylinux_2_27; see manylinux_compat.h.
#include "build_deps/manylinux/manylinux_compat.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>

#include <algorithm>
#include <new>

#define TFRA_HIDDEN __attribute__((visibility("hidden")))

extern "C" {

#if defined(__x86_64__)
// The oldest x86_64 versions: every glibc has them. .symver binds the local
// names to those versions instead of the newest default.
int tfra_xstat_glibc_2_2_5(int version, const char* path, struct stat* info);
double tfra_pow_glibc_2_2_5(double base, double exponent);
__asm__(".symver tfra_xstat_glibc_2_2_5, __xstat@GLIBC_2.2.5");
__asm__(".symver tfra_pow_glibc_2_2_5, pow@GLIBC_2.2.5");
// glibc's _STAT_VER_LINUX on x86_64: the struct stat layout of <sys/stat.h>.
constexpr int kStatVersion = 1;
#else
// __real_<symbol> is the symbol itself (ld --wrap).
int __real_stat(const char* path, struct stat* info);
double __real_pow(double base, double exponent);
#endif

TFRA_HIDDEN int __wrap_stat(const char* path, struct stat* info) {
#if defined(__x86_64__)
  return tfra_xstat_glibc_2_2_5(kStatVersion, path, info);
#else
  return __real_stat(path, info);
#endif
}

TFRA_HIDDEN double __wrap_pow(double base, double exponent) {
#if defined(__x86_64__)
  return tfra_pow_glibc_2_2_5(base, exponent);
#else
  return __real_pow(base, exponent);
#endif
}

// __wrap_<name> calling <name> at its oldest x86_64 version, or elsewhere
// the symbol itself (__real_<name>).
#if defined(__x86_64__)
#define TFRA_OLDEST_VERSION(ret, name, params, args)                      \
  ret tfra_##name##_glibc_2_2_5 params;                                   \
  __asm__(".symver tfra_" #name "_glibc_2_2_5, " #name "@GLIBC_2.2.5");   \
  TFRA_HIDDEN ret __wrap_##name params {                                  \
    return tfra_##name##_glibc_2_2_5 args;                                \
  }
#else
#define TFRA_OLDEST_VERSION(ret, name, params, args) \
  ret __real_##name params;                          \
  TFRA_HIDDEN ret __wrap_##name params { return __real_##name args; }
#endif

TFRA_OLDEST_VERSION(int, pthread_sigmask,
                    (int how, const sigset_t* set, sigset_t* old),
                    (how, set, old))
TFRA_OLDEST_VERSION(int, pthread_once,
                    (pthread_once_t * once, void (*init)(void)), (once, init))
TFRA_OLDEST_VERSION(int, pthread_key_create,
                    (pthread_key_t * key, void (*destroy)(void*)),
                    (key, destroy))
TFRA_OLDEST_VERSION(int, pthread_key_delete, (pthread_key_t key), (key))
TFRA_OLDEST_VERSION(void*, pthread_getspecific, (pthread_key_t key), (key))
TFRA_OLDEST_VERSION(int, pthread_setspecific,
                    (pthread_key_t key, const void* value), (key, value))
TFRA_OLDEST_VERSION(int, pthread_rwlock_init,
                    (pthread_rwlock_t * lock,
                     const pthread_rwlockattr_t* attributes),
                    (lock, attributes))
TFRA_OLDEST_VERSION(int, pthread_rwlock_destroy, (pthread_rwlock_t * lock),
                    (lock))
TFRA_OLDEST_VERSION(int, pthread_rwlock_rdlock, (pthread_rwlock_t * lock),
                    (lock))
TFRA_OLDEST_VERSION(int, pthread_rwlock_wrlock, (pthread_rwlock_t * lock),
                    (lock))
TFRA_OLDEST_VERSION(int, pthread_rwlock_unlock, (pthread_rwlock_t * lock),
                    (lock))
TFRA_OLDEST_VERSION(void*, dlopen, (const char* file, int mode), (file, mode))
TFRA_OLDEST_VERSION(int, dlclose, (void* handle), (handle))
TFRA_OLDEST_VERSION(void*, dlsym, (void* handle, const char* name),
                    (handle, name))
TFRA_OLDEST_VERSION(char*, dlerror, (void), ())
TFRA_OLDEST_VERSION(int, dladdr, (const void* address, Dl_info* info),
                    (address, info))

#if defined(__x86_64__)
int tfra_fxstat_glibc_2_2_5(int version, int fd, struct stat* info);
__asm__(".symver tfra_fxstat_glibc_2_2_5, __fxstat@GLIBC_2.2.5");
#else
int __real_fstat(int fd, struct stat* info);
#endif

TFRA_HIDDEN int __wrap_fstat(int fd, struct stat* info) {
#if defined(__x86_64__)
  return tfra_fxstat_glibc_2_2_5(kStatVersion, fd, info);
#else
  return __real_fstat(fd, info);
#endif
}

TFRA_HIDDEN char __wrap___libc_single_threaded = 0;

TFRA_HIDDEN void __wrap__ZSt28__throw_bad_array_new_lengthv() {
  throw std::bad_array_new_length();
}

// What libstdc++'s condition_variable::wait does, in either version: the
// result of pthread_cond_wait is only asserted on.
TFRA_HIDDEN void __wrap__ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE(
    std::condition_variable* condition_variable,
    std::unique_lock<std::mutex>* lock) {
  pthread_cond_wait(condition_variable->native_handle(),
                    lock->mutex()->native_handle());
}

}  // extern "C"

namespace {

constexpr long long kNanosPerSecond = 1000000000LL;
constexpr long long kNanosPerMs = 1000000LL;

long long ToNanos(const struct timespec& t) {
  return static_cast<long long>(t.tv_sec) * kNanosPerSecond + t.tv_nsec;
}

struct timespec FromNanos(long long nanos) {
  struct timespec t;
  t.tv_sec = static_cast<time_t>(nanos / kNanosPerSecond);
  t.tv_nsec = static_cast<long>(nanos % kNanosPerSecond);
  return t;
}

}  // namespace

extern "C" TFRA_HIDDEN int __wrap_pthread_cond_clockwait(
    pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock,
    const struct timespec* deadline) {
  // glibc accepts these two clocks only, and checks the deadline first.
  if ((clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) ||
      deadline->tv_nsec < 0 || deadline->tv_nsec >= kNanosPerSecond) {
    return EINVAL;
  }
  struct timespec now;
  clock_gettime(clock, &now);
  const long long remaining = ToNanos(*deadline) - ToNanos(now);
  if (remaining <= 0) return ETIMEDOUT;
  const long long slice =
      std::min(remaining, tfra::manylinux::kClockwaitSliceMs * kNanosPerMs);
  struct timespec wall_now;
  clock_gettime(CLOCK_REALTIME, &wall_now);
  const struct timespec wall_deadline = FromNanos(ToNanos(wall_now) + slice);
  const int rc = pthread_cond_timedwait(cond, mutex, &wall_deadline);
  if (rc != ETIMEDOUT) return rc;
  // The wall clock may have jumped: only `clock` says whether time is up.
  clock_gettime(clock, &now);
  return ToNanos(now) >= ToNanos(*deadline) ? ETIMEDOUT : 0;
}
