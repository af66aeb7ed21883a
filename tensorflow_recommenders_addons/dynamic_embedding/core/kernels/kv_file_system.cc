#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/kv_file_system.h"

#include <memory>
#include <string>
#include <vector>

#include "tensorflow/core/platform/errors.h"
#include "tensorflow/core/platform/file_system.h"
#include "tensorflow/core/platform/logging.h"
#include "tensorflow/core/platform/path.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/tf_status.h"

namespace tensorflow {
namespace recommenders_addons {

namespace rt = tfra::redis_table;

namespace {

// File-system failures as table statuses, so that they can pass through
// the TF-free streaming code; ToTfStatus maps them back.
rt::Status FromTfStatus(const absl::Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return rt::Status::Ok();
    case absl::StatusCode::kNotFound:
      return rt::NotFoundError(message);
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
      return rt::InvalidArgumentError(message);
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kUnimplemented:
      return rt::FailedPreconditionError(message);
    default:
      return rt::UnavailableError(message);
  }
}

class WritableFileSink : public rt::ByteSink {
 public:
  explicit WritableFileSink(WritableFile* file) : file_(file) {}
  rt::Status Append(std::string_view bytes) override {
    return FromTfStatus(file_->Append(bytes));
  }

 private:
  WritableFile* file_;
};

class RandomAccessFileSource : public rt::ByteSource {
 public:
  RandomAccessFileSource(std::unique_ptr<RandomAccessFile> file, uint64 size)
      : file_(std::move(file)), size_(size) {}

  uint64_t size() const override { return size_; }

  rt::Status Read(size_t n, std::string* out) override {
    n = static_cast<size_t>(std::min<uint64>(n, size_ - offset_));
    std::string scratch(n, '\0');
    absl::string_view result;
    const absl::Status status = file_->Read(offset_, n, &result, &scratch[0]);
    // OutOfRange means "fewer bytes than asked": the file shrank meanwhile.
    if (!status.ok() && !errors::IsOutOfRange(status)) {
      return FromTfStatus(status);
    }
    out->assign(result.data(), result.size());
    offset_ += result.size();
    return rt::Status::Ok();
  }

 private:
  std::unique_ptr<RandomAccessFile> file_;
  uint64 size_;
  uint64 offset_ = 0;
};

absl::Status CheckRequest(const KvFileRequest& request) {
  if (request.file_name.empty()) {
    return errors::InvalidArgument("file_name must not be empty");
  }
  if (request.buffer_size < 1) {
    return errors::InvalidArgument("buffer_size must be >= 1, got ",
                                   request.buffer_size);
  }
  return absl::OkStatus();
}

std::string FolderOf(const KvFileRequest& request) {
  return rt::ResolveKvFileDir(request.dirpath_env, request.dirpath,
                              rt::ProcessEnvironment());
}

// The two files a save writes, open.
struct SaveFiles {
  std::string keys_name;    // where the keys go while writing
  std::string values_name;
  std::unique_ptr<WritableFile> keys;
  std::unique_ptr<WritableFile> values;
};

absl::Status OpenForSave(Env* env, const std::string& path, bool append,
                         SaveFiles* files) {
  const std::string suffix = append ? "" : ".tmp";
  files->keys_name = rt::KeysFilePath(path) + suffix;
  files->values_name = rt::ValuesFilePath(path) + suffix;
  if (append) {
    TF_RETURN_IF_ERROR(env->NewAppendableFile(files->keys_name, &files->keys));
    return env->NewAppendableFile(files->values_name, &files->values);
  }
  TF_RETURN_IF_ERROR(env->NewWritableFile(files->keys_name, &files->keys));
  return env->NewWritableFile(files->values_name, &files->values);
}

absl::Status SyncAndClose(WritableFile* file) {
  TF_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

absl::Status WriteRows(const rt::OpenedTable& table,
                       const rt::KvRecordFormat& format,
                       const KvFileRequest& request, SaveFiles* files,
                       int64_t* rows) {
  WritableFileSink keys(files->keys.get());
  WritableFileSink values(files->values.get());
  TF_RETURN_IF_ERROR(ToTfStatus(
      rt::SaveKvFiles(*table.store, format,
                      static_cast<size_t>(request.buffer_size), &keys, &values,
                      rows)));
  TF_RETURN_IF_ERROR(SyncAndClose(files->keys.get()));
  return SyncAndClose(files->values.get());
}

rt::OpenSourceFn SourceOpener(Env* env) {
  return [env](const std::string& name)
             -> rt::Result<std::unique_ptr<rt::ByteSource>> {
    uint64 size = 0;
    std::unique_ptr<RandomAccessFile> file;
    rt::Status status = FromTfStatus(env->GetFileSize(name, &size));
    if (status.ok()) {
      status = FromTfStatus(env->NewRandomAccessFile(name, &file));
    }
    if (!status.ok()) return status;
    return std::unique_ptr<rt::ByteSource>(
        new RandomAccessFileSource(std::move(file), size));
  };
}

// The saved tables a load reads: one, or every match in the folder.
absl::Status PathsToLoad(Env* env, const KvFileRequest& request,
                         std::vector<std::string>* paths) {
  const std::string dir = FolderOf(request);
  if (!request.load_entire_dir) {
    paths->push_back(rt::JoinFilePath(dir, request.file_name));
    return absl::OkStatus();
  }
  std::vector<std::string> children;
  TF_RETURN_IF_ERROR(env->GetChildren(dir, &children));
  auto tables = rt::SavedTablesInDir(dir, children, request.file_name);
  if (!tables.ok()) return ToTfStatus(tables.status());
  for (const std::string& name : *tables) {
    paths->push_back(rt::JoinFilePath(dir, name));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SaveTableToFileSystem(Env* env, const rt::OpenedTable& table,
                                   const rt::KvRecordFormat& format,
                                   const KvFileRequest& request) {
  TF_RETURN_IF_ERROR(CheckRequest(request));
  const std::string path =
      rt::JoinFilePath(FolderOf(request), request.file_name);
  const std::string parent(io::Dirname(path));
  if (!parent.empty()) TF_RETURN_IF_ERROR(env->RecursivelyCreateDir(parent));
  SaveFiles files;
  int64_t rows = 0;
  absl::Status status = OpenForSave(env, path, request.append_to_file, &files);
  if (status.ok()) status = WriteRows(table, format, request, &files, &rows);
  if (request.append_to_file) return status;
  if (!status.ok()) {
    // Best effort: the failure being reported matters more than leftovers.
    env->DeleteFile(files.keys_name).IgnoreError();
    env->DeleteFile(files.values_name).IgnoreError();
    return status;
  }
  TF_RETURN_IF_ERROR(env->RenameFile(files.keys_name, rt::KeysFilePath(path)));
  TF_RETURN_IF_ERROR(
      env->RenameFile(files.values_name, rt::ValuesFilePath(path)));
  VLOG(1) << "saved " << rows << " rows to " << path << "-keys/-values";
  return absl::OkStatus();
}

absl::Status LoadTableFromFileSystem(Env* env, const rt::OpenedTable& table,
                                     const rt::KvRecordFormat& format,
                                     const KvFileRequest& request,
                                     tfra::redis_client::Executor* executor) {
  TF_RETURN_IF_ERROR(CheckRequest(request));
  std::vector<std::string> paths;
  TF_RETURN_IF_ERROR(PathsToLoad(env, request, &paths));
  const rt::FieldBucketer bucketer(
      format.key_kind, static_cast<uint32_t>(table.config.storage_slice),
      table.config.using_hash_storage_slice);
  for (const std::string& path : paths) {
    int64_t rows = 0;
    TF_RETURN_IF_ERROR(ToTfStatus(
        rt::LoadKvFiles(*table.store, format, bucketer,
                        static_cast<size_t>(request.buffer_size), path,
                        SourceOpener(env), executor, &rows)));
    VLOG(1) << "loaded " << rows << " rows from " << path << "-keys/-values";
  }
  return absl::OkStatus();
}

}  // namespace recommenders_addons
}  // namespace tensorflow
