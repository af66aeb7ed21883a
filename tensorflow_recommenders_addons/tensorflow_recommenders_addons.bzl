"""Build macros: the one place that holds the C++ compile flags.

- tfra_cc_library / tfra_cc_test / tfra_cc_binary: TF-free C++ (Redis client,
  table logic, tools).
- tfra_tf_cc_library / tfra_tf_cc_test: C++ against TensorFlow's headers (ops,
  kernels); the tests link TensorFlow's framework library.
- custom_op_library: a TensorFlow op library (.so loaded by tf.load_op_library)
  linking op and kernel libraries.
- tfra_c_library: a TF-free .so with a C ABI (the operator tool's binding).
"""

load("@local_config_tf//:build_defs.bzl", "TF_COPTS")

# TF_COPTS comes from the installed TensorFlow (C++ standard, libstdc++ ABI,
# Eigen alignment); every object in the op library must agree with it, so the
# TF-free layers use the same flags.
TFRA_COPTS = TF_COPTS + [
    "-fPIC",
    "-pthread",
    "-Wall",
    "-Wno-sign-compare",
    # TensorFlow 2.21's own headers use its deprecated error helpers.
    "-Wno-deprecated-declarations",
]

# Symbols that this toolchain (glibc 2.36, GCC 12) would bind to versions newer
# than TensorFlow's own manylinux_2_27 wheel allows; each goes to its wrapper in
# //build_deps/manylinux (manylinux_compat.h says why each is safe), so the
# wheel installs wherever TensorFlow does. tools/testing/wheel_test.py names any
# symbol that needs a newer version again.
MANYLINUX_WRAPPED_SYMBOLS = [
    "stat",
    "pow",
    "pthread_cond_clockwait",
    "__libc_single_threaded",
    "_ZSt28__throw_bad_array_new_lengthv",
    "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE",
    # Static OpenSSL (TLS to Redis) and tls_channel.cc: functions glibc 2.34
    # moved from libpthread/libdl into libc under new versions (2.32: the
    # signal mask; 2.33: fstat).
    "pthread_sigmask",
    "pthread_once",
    "pthread_key_create",
    "pthread_key_delete",
    "pthread_getspecific",
    "pthread_setspecific",
    "pthread_rwlock_init",
    "pthread_rwlock_destroy",
    "pthread_rwlock_rdlock",
    "pthread_rwlock_wrlock",
    "pthread_rwlock_unlock",
    "dlopen",
    "dlclose",
    "dlsym",
    "dlerror",
    "dladdr",
    "fstat",
]

# GNU ld, not gold (Bazel's default where installed): gold's --wrap=pow also
# takes the wrapper's own versioned call to pow@GLIBC_2.2.5, looping forever.
MANYLINUX_LINKOPTS = ["-fuse-ld=bfd"] + [
    "-Wl,--wrap=" + s
    for s in MANYLINUX_WRAPPED_SYMBOLS
]

# GNU ld has no --start-lib: link static dependencies as archives (so that
# --exclude-libs,ALL now hides their symbols too, as intended; gold exported
# the objects it was given between --start-lib and --end-lib).
MANYLINUX_FEATURES = ["-supports_start_end_lib"]

def tfra_cc_library(name, copts = [], **kwargs):
    native.cc_library(
        name = name,
        copts = TFRA_COPTS + copts,
        **kwargs
    )

def tfra_cc_test(name, deps = [], copts = [], linkopts = [], use_gtest_main = True, size = "small", **kwargs):
    native.cc_test(
        name = name,
        copts = TFRA_COPTS + copts,
        size = size,
        deps = deps + (["@gtest//:gtest_main"] if use_gtest_main else ["@gtest//:gtest"]),
        linkopts = ["-pthread"] + linkopts,
        **kwargs
    )

def tfra_cc_binary(name, copts = [], linkopts = [], **kwargs):
    """A TF-free tool (benchmarks, generators)."""
    native.cc_binary(
        name = name,
        copts = TFRA_COPTS + copts,
        linkopts = ["-pthread"] + linkopts,
        **kwargs
    )

_TF_HEADERS = "@local_config_tf//:tf_header_lib"
_TF_FRAMEWORK = "@local_config_tf//:libtensorflow_framework"

def tfra_tf_cc_library(name, deps = [], copts = [], **kwargs):
    """C++ against TensorFlow's headers (ops, kernels).

    Links none of TensorFlow: the op library (or a serving binary) brings it.
    Libraries that register ops or kernels set alwayslink = 1, since nothing
    references a registration by symbol.
    """
    native.cc_library(
        name = name,
        copts = TFRA_COPTS + copts,
        deps = deps + [_TF_HEADERS],
        **kwargs
    )

def tfra_tf_cc_test(name, deps = [], **kwargs):
    """A gtest of code against TensorFlow, linked with its framework library."""
    tfra_cc_test(
        name = name,
        deps = deps + [_TF_FRAMEWORK, _TF_HEADERS],
        **kwargs
    )

# Every .so the wheel ships: no undefined symbol is left for the loading
# process to supply, and the manylinux wrappers apply.
_WHEEL_SO_LINKOPTS = ["-pthread", "-Wl,-z,defs"] + MANYLINUX_LINKOPTS

def custom_op_library(name, deps = [], **kwargs):
    """A TensorFlow op library: `_<name>.so`, loaded by tf.load_op_library.

    Args:
      name: the library's file name.
      deps: alwayslink libraries of ops and kernels (tfra_tf_cc_library), with
        the TF-free libraries below them linked in statically.
      **kwargs: passed to the underlying rule.
    """
    native.cc_binary(
        name = name,
        linkshared = 1,
        # Only TensorFlow and libc stay dynamic; keep the C++ runtime's
        # symbols of our static libraries private to this library.
        linkopts = _WHEEL_SO_LINKOPTS + ["-Wl,--exclude-libs,ALL"],
        deps = deps + [_TF_FRAMEWORK, _TF_HEADERS, "//build_deps/manylinux:manylinux_compat"],
        features = MANYLINUX_FEATURES,
        **kwargs
    )

def tfra_c_library(name, deps, version_script, **kwargs):
    """A TF-free shared library with a C ABI, for the wheel (loaded by ctypes).

    Linked like the op library (manylinux flags), exporting only what
    `version_script` lists: every other symbol, those of the static
    dependencies (hiredis, json-parser) included, stays private. (Not
    --exclude-libs,ALL: it would hide the entry points too, which come from
    an archive.)

    Args:
      name: the library's file name.
      deps: alwayslink TF-free libraries holding the C entry points.
      version_script: a linker version script naming the exported symbols.
      **kwargs: passed to the underlying rule.
    """
    native.cc_binary(
        name = name,
        linkshared = 1,
        linkopts = _WHEEL_SO_LINKOPTS + [
            "-Wl,--version-script=$(location %s)" % version_script,
        ],
        additional_linker_inputs = [version_script],
        deps = deps + ["//build_deps/manylinux:manylinux_compat"],
        features = MANYLINUX_FEATURES,
        **kwargs
    )

def tfra_py_test(name, srcs = None, deps = [], data = [], size = "medium", **kwargs):
    """A pytest file run by Bazel under the configured Python (configure.py).

    The file ends with `sys.exit(pytest.main([__file__, "-v"]))` under
    `if __name__ == "__main__"`, so `bazel test` and plain pytest run the same
    tests. Depends on the package and the Redis launcher.
    """
    srcs = srcs or [name + ".py"]
    native.py_test(
        name = name,
        srcs = srcs,
        main = name + ".py" if (name + ".py") in srcs else srcs[0],
        size = size,
        python_version = "PY3",
        srcs_version = "PY3",
        deps = deps + [
            "//tensorflow_recommenders_addons",
            "//tools/testing:redis_servers",
        ],
        data = data,
        **kwargs
    )
