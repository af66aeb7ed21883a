// Keeps the op library loadable on the oldest glibc TensorFlow supports.
//
// TensorFlow 2.21's wheel is manylinux_2_27 (glibc 2.27, libstdc++ of GCC 7).
// Built here (Debian 12: glibc 2.36, GCC 12), the op library would bind six
// symbols to versions only newer systems have. custom_op_library links it with
// `-Wl,--wrap=<symbol>` for each (MANYLINUX_WRAPPED_SYMBOLS in
// tensorflow_recommenders_addons.bzl), so every reference to <symbol> in our
// objects and static libraries goes to __wrap_<symbol> below, which reaches the
// same behaviour through a version manylinux_2_27 allows:
//
//   symbol (version it would need)              referenced by
//   stat (GLIBC_2.33)                            config_path.cc
//   pow (GLIBC_2.29)                             libjsonparser.a
//   pthread_cond_clockwait (GLIBC_2.34)          std::condition_variable::
//                                                wait_until(steady_clock)
//   __libc_single_threaded (GLIBC_2.32)          std::shared_ptr refcounts
//   std::__throw_bad_array_new_length()          std::allocator<T>::allocate
//     (GLIBCXX_3.4.29)
//   std::condition_variable::wait(unique_lock&)  connection_pool.cc,
//     (GLIBCXX_3.4.30)                           redis_table_op.cc
//   pthread_sigmask (GLIBC_2.32)                 tls_channel.cc, libcrypto.a
//   pthread_once, pthread_key_*, pthread_get/    libcrypto.a (static OpenSSL,
//     setspecific, pthread_rwlock_* (GLIBC_2.34)   TLS to Redis)
//   dlopen, dlclose, dlsym, dlerror, dladdr      libcrypto.a
//     (GLIBC_2.34)
//   fstat (GLIBC_2.33)                           libcrypto.a
//
// glibc 2.34 moved the pthread and dl functions from libpthread and libdl
// into libc under new versions, keeping the old ones (GLIBC_2.2.5 on
// x86_64) as the same functions; the wrappers call those. Older glibc finds
// them in libpthread and libdl, which TensorFlow's own library loads.
//
// tools/testing/wheel_test.py fails, naming the symbol, when the op library
// needs anything newer than manylinux_2_27 again. stat and pow are pinned on
// x86_64 only (the old versions named in the .cc are x86_64's); elsewhere
// those two wrappers call the symbol they wrap, as if there were none.
//
// The declarations are for the test; nothing else calls these by name.
#ifndef TFRA_BUILD_DEPS_MANYLINUX_MANYLINUX_COMPAT_H_
#define TFRA_BUILD_DEPS_MANYLINUX_MANYLINUX_COMPAT_H_

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include <condition_variable>
#include <mutex>

extern "C" {

// Old-style stat through __xstat, as glibc < 2.33 compiled stat().
int __wrap_stat(const char* path, struct stat* info);

// The libm entry point every glibc has; the same implementation as the
// GLIBC_2.29 one, which only drops the old SVID error hooks.
double __wrap_pow(double base, double exponent);

// pthread_cond_clockwait on a condition variable that uses CLOCK_REALTIME
// (every std::condition_variable): waits at most kClockwaitSliceMs per call
// with pthread_cond_timedwait and reports an early return as a spurious
// wake-up (0), so callers, which must loop on their predicate anyway, re-check
// the steady clock. A wall-clock step thus shortens no wait and lengthens one
// by at most a slice. ETIMEDOUT once `deadline` on `clock` has passed.
int __wrap_pthread_cond_clockwait(pthread_cond_t* cond, pthread_mutex_t* mutex,
                                  clockid_t clock,
                                  const struct timespec* deadline);

// The pthread and dl functions of the table above, and fstat, declared by
// their system headers; each __wrap_<name> calls <name>@GLIBC_2.2.5
// (fstat: __fxstat@GLIBC_2.2.5, as stat). Three of them, for the test:
int __wrap_pthread_once(pthread_once_t* once, void (*init)(void));
void* __wrap_dlopen(const char* file, int mode);
int __wrap_fstat(int fd, struct stat* info);

// Always 0 ("other threads may exist"): libstdc++ then always uses atomic
// reference counts, which is what it does anyway once TensorFlow has started
// its thread pools.
extern char __wrap___libc_single_threaded;

// std::__throw_bad_array_new_length(): throws std::bad_array_new_length.
[[noreturn]] void __wrap__ZSt28__throw_bad_array_new_lengthv();

// std::condition_variable::wait(std::unique_lock<std::mutex>&): GCC 12 added
// a GLIBCXX_3.4.30 version beside the GLIBCXX_3.4.11 one (they differ in
// thread-cancellation unwinding; we never cancel threads). Both are one
// pthread_cond_wait, which this makes itself.
void __wrap__ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE(
    std::condition_variable* condition_variable,
    std::unique_lock<std::mutex>* lock);

}  // extern "C"

namespace tfra {
namespace manylinux {

// Longest single pthread_cond_timedwait of __wrap_pthread_cond_clockwait: the
// most a backward wall-clock step can delay a steady-clock timeout.
constexpr long kClockwaitSliceMs = 100;

}  // namespace manylinux
}  // namespace tfra

#endif  // TFRA_BUILD_DEPS_MANYLINUX_MANYLINUX_COMPAT_H_
