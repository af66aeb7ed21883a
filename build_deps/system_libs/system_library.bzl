"""Repository rule for a Debian-installed C library linked statically.

Symlinks the library's header folder and its static archive from the system
(found in the multiarch folder gcc reports) into an external repository whose
BUILD file comes from third_party/. Nothing is downloaded: a missing package
is a clear error telling which Debian package to install.
"""

def _find_static_lib(repository_ctx, lib_name):
    result = repository_ctx.execute(["gcc", "-print-multiarch"])
    multiarch = result.stdout.strip() if result.return_code == 0 else ""
    candidates = []
    if multiarch:
        candidates.append("/usr/lib/%s/%s" % (multiarch, lib_name))
    candidates += ["/usr/lib64/" + lib_name, "/usr/lib/" + lib_name, "/usr/local/lib/" + lib_name]
    for candidate in candidates:
        path = repository_ctx.path(candidate)
        if path.exists:
            return path
    return None

def _system_static_library_impl(repository_ctx):
    package = repository_ctx.attr.debian_package
    for include_dir in repository_ctx.attr.include_dirs:
        path = repository_ctx.path("/usr/include/" + include_dir)
        if not path.exists:
            fail("/usr/include/%s is missing: install the Debian package %s " % (include_dir, package) +
                 "(tools/install_deps.sh does).")
        repository_ctx.symlink(path, "include/" + include_dir)
    for lib_name in repository_ctx.attr.static_libs:
        path = _find_static_lib(repository_ctx, lib_name)
        if path == None:
            fail("%s is missing: install the Debian package %s (tools/install_deps.sh does)." %
                 (lib_name, package))
        repository_ctx.symlink(path, "lib/" + lib_name)
    repository_ctx.symlink(repository_ctx.attr.build_file, "BUILD.bazel")

system_static_library = repository_rule(
    implementation = _system_static_library_impl,
    attrs = {
        "build_file": attr.label(mandatory = True, allow_single_file = True),
        "debian_package": attr.string(mandatory = True),
        "include_dirs": attr.string_list(doc = "Folders under /usr/include, kept as include/<name>."),
        "static_libs": attr.string_list(doc = "File names of static archives, kept as lib/<name>."),
    },
    local = True,
)
