#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_table_op.h"

#include <cstdlib>
#include <type_traits>

#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"
#include "tensorflow/core/platform/errors.h"
#include "tensorflow/core/platform/logging.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/default_values.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/kv_file_system.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_table_dtypes.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/tf_executor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/tf_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_script.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_dump_files.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_hash.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/renamed_table.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tensorflow {
namespace recommenders_addons {

namespace rt = tfra::redis_table;

namespace {

template <class K>
constexpr rt::KeyKind KeyKindOf() {
  if constexpr (std::is_same_v<K, int32>) return rt::KeyKind::kInt32;
  if constexpr (std::is_same_v<K, int64_t>) return rt::KeyKind::kInt64;
  return rt::KeyKind::kString;
}

// The element type the layout record names for V.
template <class V>
constexpr rt::ElementType ElementTypeOf() {
  if constexpr (std::is_same_v<V, float>) {
    return rt::ElementType::kFloat32;
  } else if constexpr (std::is_same_v<V, double>) {
    return rt::ElementType::kFloat64;
  } else if constexpr (std::is_same_v<V, int32>) {
    return rt::ElementType::kInt32;
  } else if constexpr (std::is_same_v<V, int64_t>) {
    return rt::ElementType::kInt64;
  } else if constexpr (std::is_same_v<V, int8>) {
    return rt::ElementType::kInt8;
  } else if constexpr (std::is_same_v<V, Eigen::half>) {
    return rt::ElementType::kFloat16;
  } else if constexpr (std::is_same_v<V, bfloat16>) {
    return rt::ElementType::kBFloat16;
  } else if constexpr (std::is_same_v<V, bool>) {
    return rt::ElementType::kBool;
  } else {
    static_assert(std::is_same_v<V, tstring>, "a value dtype without a name");
    return rt::ElementType::kString;
  }
}

template <class K>
std::string_view FieldOf(const K& key) {
  if constexpr (std::is_same_v<K, tstring>) {
    return std::string_view(key.data(), key.size());
  } else {
    return rt::KeyBytes(key);
  }
}

template <class K>
uint32_t BucketOfKey(const K& key, const rt::RedisTableConfig& config) {
  const uint32_t slices = static_cast<uint32_t>(config.storage_slice);
  if constexpr (std::is_same_v<K, tstring>) {
    return rt::KeyBucket(std::string_view(key.data(), key.size()), slices,
                         config.using_hash_storage_slice);
  } else {
    return rt::KeyBucket(key, slices, config.using_hash_storage_slice);
  }
}

const char* GetEnv(const char* name) { return std::getenv(name); }

}  // namespace

template <class K, class V>
RedisTableOfTensors<K, V>::RedisTableOfTensors(OpKernelContext* ctx,
                                               OpKernel* kernel) {
  absl::Status status = Open(ctx, kernel);
  if (!status.ok()) ctx->SetStatus(status);
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::Open(OpKernelContext* ctx,
                                             OpKernel* kernel) {
  TF_RETURN_IF_ERROR(GetNodeAttr(kernel->def(), "value_shape", &value_shape_));
  if (!TensorShapeUtils::IsVector(value_shape_)) {
    return errors::InvalidArgument("value_shape must be a vector [dim], got ",
                                   value_shape_.DebugString());
  }
  dim_ = value_shape_.dim_size(0);
  rt::TableRequest request;
  TF_RETURN_IF_ERROR(
      GetNodeAttr(kernel->def(), "embedding_name", &request.embedding_name));
  TF_RETURN_IF_ERROR(GetNodeAttr(kernel->def(), "redis_config_abs_dir",
                                 &request.config_path_attr));
  TF_RETURN_IF_ERROR(GetNodeAttr(kernel->def(), "redis_config_abs_dir_env",
                                 &request.config_env_var_name));
  request.key_kind = KeyKindOf<K>();
  request.value_bytes =
      std::is_same_v<V, tstring> ? 0 : static_cast<size_t>(dim_) * sizeof(V);
  request.value_type = ElementTypeOf<V>();
  request.dim = dim_;
  TfExecutor executor(ctx);
  auto opened = rt::OpenRedisTable(request, GetEnv, &executor);
  if (!opened.ok()) return ToTfStatus(opened.status());
  table_ = std::move(opened).value();
  for (const std::string& warning : table_->warnings) {
    LOG(WARNING) << "Redis table '" << request.embedding_name
                 << "': " << warning;
  }
  return absl::OkStatus();
}

template <class K, class V>
RedisTableOfTensors<K, V>::~RedisTableOfTensors() {
  if (table_ == nullptr) return;
  // A destructor cannot return a status; the TTL is best effort, so a
  // failure is logged (the data itself is untouched).
  const rt::Status status = rt::CloseRedisTable(*table_);
  if (!status.ok()) LOG(ERROR) << status.ToString();
}

template <class K, class V>
rt::KeyBatch RedisTableOfTensors<K, V>::MakeKeyBatch(const Tensor& keys) const {
  const K* flat = keys.flat<K>().data();
  const size_t n = static_cast<size_t>(keys.NumElements());
  rt::KeyBatch batch;
  batch.fields.resize(n);
  for (size_t i = 0; i < n; ++i) batch.fields[i] = FieldOf(flat[i]);
  // KeyBucket reduces mod storage_slice, so with one slice (the default)
  // every key is in bucket 0: no out-of-line call per key, and no CRC per
  // string key.
  batch.buckets.assign(n, 0);
  if (table_->config.storage_slice > 1) {
    for (size_t i = 0; i < n; ++i) {
      batch.buckets[i] = BucketOfKey(flat[i], table_->config);
    }
  }
  return batch;
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::EncodeRows(
    const Tensor& values, int64_t rows, std::vector<std::string_view>* views,
    std::vector<std::string>* owned) const {
  const V* data = values.flat<V>().data();
  views->reserve(rows);
  if constexpr (std::is_same_v<V, tstring>) {
    owned->resize(rows);
    std::vector<std::string_view> elements(dim_);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < dim_; ++j) {
        const tstring& element = data[r * dim_ + j];
        elements[j] = std::string_view(element.data(), element.size());
      }
      TF_RETURN_IF_ERROR(ToTfStatus(
          rt::AppendStringRow(elements.data(), dim_, &(*owned)[r])));
      views->push_back((*owned)[r]);
    }
  } else {
    if constexpr (std::is_same_v<V, float>) {
      if (table_->row_encoding != rt::RowEncoding::kRaw) {
        EncodeFloatRows(data, rows, views, owned);
        return absl::OkStatus();
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      views->push_back(rt::PodRowBytes(data + r * dim_, dim_));
    }
  }
  return absl::OkStatus();
}

template <class K, class V>
void RedisTableOfTensors<K, V>::EncodeFloatRows(
    const float* data, int64_t rows, std::vector<std::string_view>* views,
    std::vector<std::string>* owned) const {
  // One buffer for the whole batch, rows viewed in place.
  const size_t bytes = rt::EncodedRowBytes(table_->row_encoding, dim_);
  owned->assign(1, std::string(bytes * static_cast<size_t>(rows), '\0'));
  char* out = owned->front().data();
  for (int64_t r = 0; r < rows; ++r) {
    rt::EncodeFloatRow(table_->row_encoding, data + r * dim_, dim_,
                       out + r * bytes);
    views->emplace_back(out + r * bytes, bytes);
  }
}

template <class K, class V>
rt::Status RedisTableOfTensors<K, V>::DecodeRow(std::string_view stored,
                                                V* row) const {
  if constexpr (std::is_same_v<V, tstring>) {
    return rt::DecodeStringRow(
        stored, dim_, [row](size_t index, std::string_view element) {
          row[index] = tstring(element.data(), element.size());
        });
  } else if constexpr (std::is_same_v<V, float>) {
    return rt::DecodeFloatRow(table_->row_encoding, stored, dim_, row);
  } else {
    return rt::DecodePodRow(stored, dim_, row);
  }
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::FindImpl(OpKernelContext* ctx,
                                                 const Tensor& keys,
                                                 Tensor* values,
                                                 const Tensor& default_value,
                                                 Tensor* exists) {
  const int64_t n = keys.NumElements();
  if (n == 0) return absl::OkStatus();
  V* out = values->flat<V>().data();
  std::unique_ptr<bool[]> own_found;
  bool* found = exists == nullptr ? nullptr : exists->flat<bool>().data();
  if (found == nullptr) {
    own_found = std::make_unique<bool[]>(n);
    found = own_found.get();
  }
  std::fill(found, found + n, false);

  TfExecutor executor(ctx);
  rt::Status status = table_->store->Find(
      MakeKeyBatch(keys),
      [&](size_t index, std::string_view stored) -> rt::Status {
        rt::Status decoded = DecodeRow(stored, out + index * dim_);
        if (!decoded.ok()) {
          return rt::InvalidArgumentError(
              decoded.message() + " (key #" + std::to_string(index) +
              " of the batch)");
        }
        found[index] = true;
        return rt::Status::Ok();
      },
      &executor);
  TF_RETURN_IF_ERROR(ToTfStatus(status));
  // Defaults only where no row was found: writing them for every key first
  // and then overwriting the found rows doubled the output writes.
  FillDefaultValues(found, n, dim_, default_value, out);
  return absl::OkStatus();
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::Find(OpKernelContext* ctx,
                                             const Tensor& keys,
                                             Tensor* values,
                                             const Tensor& default_value) {
  return FindImpl(ctx, keys, values, default_value, nullptr);
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::FindWithExists(
    OpKernelContext* ctx, const Tensor& keys, Tensor* values,
    const Tensor& default_value, Tensor* exists) {
  return FindImpl(ctx, keys, values, default_value, exists);
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::InsertRows(OpKernelContext* ctx,
                                                   const Tensor& keys,
                                                   const Tensor& values) {
  const int64_t n = keys.NumElements();
  if (n == 0) return absl::OkStatus();
  std::vector<std::string_view> rows;
  std::vector<std::string> owned;
  TF_RETURN_IF_ERROR(EncodeRows(values, n, &rows, &owned));
  TfExecutor executor(ctx);
  return ToTfStatus(table_->store->Insert(MakeKeyBatch(keys), rows, &executor));
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::Insert(OpKernelContext* ctx,
                                               const Tensor& keys,
                                               const Tensor& values) {
  return InsertRows(ctx, keys, values);
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::Accum(OpKernelContext* ctx,
                                              const Tensor& keys,
                                              const Tensor& values_or_deltas,
                                              const Tensor& exists) {
  const std::string dtype = DataTypeString(value_dtype());
  rt::AccumElement element;
  if (!rt::AccumElementFromName(dtype.data(), dtype.size(), &element)) {
    return errors::InvalidArgument(
        "accum supports float, double, int32, int64 and int8 values, not ",
        DataTypeString(value_dtype()));
  }
  if (table_->row_encoding != rt::RowEncoding::kRaw) {
    // Deltas cannot be added to rows stored at a lower precision in Redis.
    return errors::InvalidArgument(
        "accum needs redis_value_encoding \"raw\"; this table stores its rows "
        "as \"", std::string(rt::RowEncodingName(table_->row_encoding)),
        "\" (train it without bp_v2, whose optimizers write with accum)");
  }
  const int64_t n = keys.NumElements();
  if (n == 0) return absl::OkStatus();
  std::vector<std::string_view> rows;
  std::vector<std::string> owned;
  TF_RETURN_IF_ERROR(EncodeRows(values_or_deltas, n, &rows, &owned));
  const auto flags = exists.flat<bool>();
  std::vector<uint8_t> exists_flags(flags.data(), flags.data() + n);
  TfExecutor executor(ctx);
  return ToTfStatus(table_->store->Accum(MakeKeyBatch(keys), rows,
                                         exists_flags, element, &executor));
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::Remove(OpKernelContext* ctx,
                                               const Tensor& keys) {
  if (keys.NumElements() == 0) return absl::OkStatus();
  TfExecutor executor(ctx);
  return ToTfStatus(table_->store->Remove(MakeKeyBatch(keys), &executor));
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::Clear(OpKernelContext* ctx) {
  return ToTfStatus(table_->store->Clear());
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::Size(OpKernelContext* ctx,
                                             int64_t* size) {
  auto measured = table_->store->Size();
  if (!measured.ok()) return ToTfStatus(measured.status());
  *size = *measured;
  last_size_.store(static_cast<size_t>(*size));
  return absl::OkStatus();
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::AdoptRenamed(
    OpKernelContext* ctx, const std::string& former_name, int64_t* renamed,
    bool* kept_both) {
  TfExecutor executor(ctx);
  auto report = rt::AdoptRenamedTable(*table_, former_name, &executor);
  if (!report.ok()) return ToTfStatus(report.status());
  *renamed = report->buckets_renamed;
  *kept_both = report->kept_both;
  return absl::OkStatus();
}

template <class K, class V>
std::vector<int64_t> RedisTableOfTensors<K, V>::ReadCacheStats() const {
  const auto& cache = table_->store->settings().read_cache;
  if (cache == nullptr) return std::vector<int64_t>(7, 0);
  const rt::RowCacheStats s = cache->stats();
  return {s.hits,    s.misses, s.expired,       s.evictions,
          s.entries, s.bytes,  s.capacity_bytes};
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::WriteExportOutputs(
    OpKernelContext* ctx, std::vector<K>* keys, std::vector<V>* values) const {
  const int64_t n = static_cast<int64_t>(keys->size());
  Tensor* keys_out;
  Tensor* values_out;
  TF_RETURN_IF_ERROR(ctx->allocate_output("keys", TensorShape({n}), &keys_out));
  TF_RETURN_IF_ERROR(
      ctx->allocate_output("values", TensorShape({n, dim_}), &values_out));
  std::move(keys->begin(), keys->end(), keys_out->flat<K>().data());
  std::move(values->begin(), values->end(), values_out->flat<V>().data());
  return absl::OkStatus();
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::ExportRows(OpKernelContext* ctx) {
  std::vector<K> keys;
  std::vector<V> values;
  // Not std::vector: vector<bool> has no data().
  auto row = std::make_unique<V[]>(dim_);
  rt::Status status = table_->store->Export(
      [&](std::string_view field, std::string_view stored) -> rt::Status {
        K key;
        if constexpr (std::is_same_v<K, tstring>) {
          key = tstring(field.data(), field.size());
        } else {
          TFRA_TABLE_RETURN_IF_ERROR(rt::DecodeKey(field, &key));
        }
        TFRA_TABLE_RETURN_IF_ERROR(DecodeRow(stored, row.get()));
        keys.push_back(std::move(key));
        values.insert(values.end(), row.get(), row.get() + dim_);
        return rt::Status::Ok();
      });
  TF_RETURN_IF_ERROR(ToTfStatus(status));
  return WriteExportOutputs(ctx, &keys, &values);
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::ExportValues(OpKernelContext* ctx) {
  switch (table_->config.table_store_mode) {
    case rt::TableStoreMode::kCheckpointTensors:
      return ExportRows(ctx);
    case rt::TableStoreMode::kDumpFiles:
      TF_RETURN_IF_ERROR(ToTfStatus(rt::SaveBucketDumpFiles(*table_)));
      break;
    case rt::TableStoreMode::kNothing:
      break;
  }
  // The checkpoint gets empty tensors: the data is in the files or Redis.
  std::vector<K> no_keys;
  std::vector<V> no_values;
  return WriteExportOutputs(ctx, &no_keys, &no_values);
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::ImportValues(OpKernelContext* ctx,
                                                     const Tensor& keys,
                                                     const Tensor& values) {
  switch (table_->config.table_store_mode) {
    case rt::TableStoreMode::kCheckpointTensors:
      // A restore leaves exactly what was saved: nothing else survives.
      TF_RETURN_IF_ERROR(ToTfStatus(table_->store->Clear()));
      return InsertRows(ctx, keys, values);
    case rt::TableStoreMode::kDumpFiles: {
      const rt::Status restored = rt::RestoreBucketDumpFiles(*table_);
      table_->store->ForgetCachedRows();  // RESTORE bypassed the store
      return ToTfStatus(restored);
    }
    case rt::TableStoreMode::kNothing:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

// Files hold TFRA's format (kv_files.h) whatever the table's
// redis_value_encoding: a table with compact rows writes float32 rows
// (decoded as saved, encoded as loaded), so its files load into any table of
// the same dtype and dim, upstream's included, and match `tfra-redis export`.
template <class K>
rt::KvRecordFormat KvRecordFormatOf(const rt::OpenedTable& table,
                                    int64_t dim) {
  const bool compact = table.row_encoding != rt::RowEncoding::kRaw;
  rt::KvRecordFormat format{
      KeyKindOf<K>(),
      compact ? static_cast<size_t>(dim) * sizeof(float)
              : table.store->settings().value_bytes,
      static_cast<size_t>(dim)};
  format.stored_encoding = table.row_encoding;
  return format;
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::SaveToFileSystem(
    OpKernelContext* ctx, const KvFileRequest& request) {
  return SaveTableToFileSystem(ctx->env(), *table_,
                               KvRecordFormatOf<K>(*table_, dim_), request);
}

template <class K, class V>
absl::Status RedisTableOfTensors<K, V>::LoadFromFileSystem(
    OpKernelContext* ctx, const KvFileRequest& request) {
  TfExecutor executor(ctx);
  return LoadTableFromFileSystem(ctx->env(), *table_,
                                 KvRecordFormatOf<K>(*table_, dim_), request,
                                 &executor);
}

#define TFRA_INSTANTIATE_REDIS_TABLE(K, V) \
  template class RedisTableOfTensors<K, V>;
TFRA_REDIS_TABLE_DTYPES(TFRA_INSTANTIATE_REDIS_TABLE)
#undef TFRA_INSTANTIATE_REDIS_TABLE

}  // namespace recommenders_addons
}  // namespace tensorflow
