#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_dump_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_table {
namespace {

using redis_client::Access;

bool IsPlainFileByte(unsigned char c) {
  return std::isalnum(c) || c == ':' || c == '_' || c == '{' || c == '}' ||
         c == '.' || c == '-';
}

std::string JoinDir(const std::string& root, const std::string& tag) {
  std::string dir = root;
  if (dir.empty() || dir.back() != '/') dir.push_back('/');
  return dir + tag;
}

// mkdir -p.
Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    const std::string part = path.substr(0, pos);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      return FailedPreconditionError("cannot create directory " + part + ": " +
                                     std::strerror(errno));
    }
  }
  return Status::Ok();
}

// Writes `bytes` to `path` atomically: temp file, fsync, rename. The temp
// file's name is unique: the shards of one variable share their buckets and
// save the same files, in parallel when a graph runs their exports together.
Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) {
    return FailedPreconditionError("cannot write " + temp + ": " +
                                   std::strerror(errno));
  }
  size_t written = 0;
  // mkstemp makes the file 0600; saved files are readable as before.
  bool ok = fchmod(fd, 0644) == 0;
  while (ok && written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  if (!ok) {
    const std::string error = std::strerror(errno);
    close(fd);
    unlink(temp.c_str());
    return UnavailableError("writing " + temp + " failed: " + error);
  }
  const bool synced = fsync(fd) == 0;
  const bool closed = close(fd) == 0;
  if (!synced || !closed || std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string error = std::strerror(errno);
    unlink(temp.c_str());
    return UnavailableError("finishing " + path + " failed: " + error);
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("table_store_mode 1 restore: missing file " + path);
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return UnavailableError("reading " + path + " failed");
  return content.str();
}

}  // namespace

std::string DumpFileName(std::string_view bucket_key) {
  std::string name;
  for (unsigned char c : bucket_key) {
    if (IsPlainFileByte(c)) {
      name.push_back(static_cast<char>(c));
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof(escaped), "%%%02X", c);
      name += escaped;
    }
  }
  return name + ".rdb";
}

Status SaveBucketDumpFiles(const OpenedTable& table) {
  const std::string dir =
      JoinDir(table.config.model_lib_abs_dir, table.config.model_tag_runtime);
  TFRA_TABLE_RETURN_IF_ERROR(MakeDirs(dir));
  const RedisTableStore& store = *table.store;
  for (const std::string& bucket : store.settings().bucket_keys) {
    auto reply = store.client().Run(bucket, redis_client::Dump(bucket),
                                    Access::kWrite);
    const std::string context = "DUMP of " + store.settings().table_description;
    if (!reply.ok()) return FromClientStatus(reply.status(), context);
    TFRA_TABLE_RETURN_IF_ERROR(FromClientStatus(reply->ToStatus(), context));
    // A bucket that does not exist is saved as an empty file, as upstream.
    const std::string_view payload =
        reply->is_nil() ? std::string_view() : reply->text();
    TFRA_TABLE_RETURN_IF_ERROR(
        WriteFileAtomically(dir + "/" + DumpFileName(bucket), payload));
  }
  return Status::Ok();
}

Status RestoreBucketDumpFiles(const OpenedTable& table) {
  const RedisTableStore& store = *table.store;
  const std::vector<std::string>& runtime = store.settings().bucket_keys;
  if (table.import_bucket_keys.size() != runtime.size()) {
    return InvalidArgumentError(
        "table_store_mode 1 restores bucket files one to one: "
        "storage_slice_import (" +
        std::to_string(table.import_bucket_keys.size()) +
        ") must equal storage_slice (" + std::to_string(runtime.size()) + ")");
  }
  const std::string dir =
      JoinDir(table.config.model_lib_abs_dir, table.config.model_tag_import);
  for (size_t i = 0; i < runtime.size(); ++i) {
    auto payload =
        ReadFile(dir + "/" + DumpFileName(table.import_bucket_keys[i]));
    if (!payload.ok()) return payload.status();
    const redis_client::Command command =
        payload->empty()
            ? redis_client::Del(runtime[i])
            : redis_client::Restore(runtime[i], std::chrono::milliseconds(0),
                                    *payload, /*replace=*/true);
    auto reply = store.client().Run(runtime[i], command, Access::kWrite);
    const std::string context =
        "RESTORE of " + store.settings().table_description;
    if (!reply.ok()) return FromClientStatus(reply.status(), context);
    TFRA_TABLE_RETURN_IF_ERROR(FromClientStatus(reply->ToStatus(), context));
  }
  return Status::Ok();
}

}  // namespace redis_table
}  // namespace tfra
