"""Repository rule exposing the installed TensorFlow to Bazel, without downloads.

configure.py writes the TF_* variables below into .tf_configure.bazelrc (as
--repo_env) after asking the installed TensorFlow (tf.sysconfig) where its
headers and libtensorflow_framework live and which flags it was built with.
"""

_TF_HEADER_DIR = "TF_HEADER_DIR"
_TF_SHARED_LIBRARY_DIR = "TF_SHARED_LIBRARY_DIR"
_TF_SHARED_LIBRARY_NAME = "TF_SHARED_LIBRARY_NAME"
_TF_COMPILE_FLAGS = "TF_COMPILE_FLAGS"
_TF_VERSION = "TF_VERSION"

def _required_env(repository_ctx, name):
    value = repository_ctx.os.environ.get(name, "")
    if not value:
        fail("%s is not set: run `python3 configure.py` first (it writes " % name +
             ".tf_configure.bazelrc, which .bazelrc imports).")
    return value

def _tf_configure_impl(repository_ctx):
    header_dir = _required_env(repository_ctx, _TF_HEADER_DIR)
    library_dir = _required_env(repository_ctx, _TF_SHARED_LIBRARY_DIR)
    library_name = _required_env(repository_ctx, _TF_SHARED_LIBRARY_NAME)
    compile_flags = _required_env(repository_ctx, _TF_COMPILE_FLAGS).split(" ")
    tf_version = _required_env(repository_ctx, _TF_VERSION)

    library_path = repository_ctx.path(library_dir + "/" + library_name)
    if not library_path.exists:
        fail("TensorFlow library not found: %s" % library_path)
    repository_ctx.symlink(header_dir, "include")
    repository_ctx.symlink(library_path, library_name)

    repository_ctx.template(
        "BUILD",
        Label("//build_deps/tf_dependency:BUILD.tpl"),
        {"%{TF_SHARED_LIBRARY_NAME}": library_name},
    )
    repository_ctx.template(
        "build_defs.bzl",
        Label("//build_deps/tf_dependency:build_defs.bzl.tpl"),
        {
            "%{TF_COPTS}": repr([flag for flag in compile_flags if flag]),
            "%{TF_VERSION}": repr(tf_version),
        },
    )

tf_configure = repository_rule(
    implementation = _tf_configure_impl,
    environ = [
        _TF_HEADER_DIR,
        _TF_SHARED_LIBRARY_DIR,
        _TF_SHARED_LIBRARY_NAME,
        _TF_COMPILE_FLAGS,
        _TF_VERSION,
    ],
    local = True,
)
