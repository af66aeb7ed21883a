// RedisTableOfTensors<K, V>: the TensorFlow face of a Redis table. A thin
// LookupInterface adapter: it turns tensors into byte views and bucket
// indices, calls the TF-free RedisTableStore, and writes results back into
// tensors. No Redis command text and no reply parsing happen here.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_TABLE_OP_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_TABLE_OP_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_opener.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/tfra_lookup_table.h"

namespace tensorflow {
namespace recommenders_addons {

// Thread-safe: TensorFlow may run several ops on one table at once; all
// state after construction is immutable except the cached size.
template <class K, class V>
class RedisTableOfTensors final : public TfraLookupTable {
 public:
  // Opens the table (config, connection, migration). Failures are reported
  // through ctx->SetStatus, as LookupTableOp expects.
  RedisTableOfTensors(OpKernelContext* ctx, OpKernel* kernel);
  ~RedisTableOfTensors() override;

  absl::Status Find(OpKernelContext* ctx, const Tensor& keys, Tensor* values,
                    const Tensor& default_value) override;
  absl::Status FindWithExists(OpKernelContext* ctx, const Tensor& keys,
                              Tensor* values, const Tensor& default_value,
                              Tensor* exists) override;
  absl::Status Insert(OpKernelContext* ctx, const Tensor& keys,
                      const Tensor& values) override;
  absl::Status Accum(OpKernelContext* ctx, const Tensor& keys,
                     const Tensor& values_or_deltas,
                     const Tensor& exists) override;
  absl::Status Remove(OpKernelContext* ctx, const Tensor& keys) override;
  absl::Status Clear(OpKernelContext* ctx) override;
  absl::Status Size(OpKernelContext* ctx, int64_t* size) override;
  absl::Status AdoptRenamed(OpKernelContext* ctx, const std::string& former_name,
                            int64_t* renamed, bool* kept_both) override;
  std::vector<int64_t> ReadCacheStats() const override;
  // The checkpoint side of export: rows in table_store_mode 0, DUMP files
  // and no rows in mode 1, nothing in mode 2 (upstream's semantics).
  absl::Status ExportValues(OpKernelContext* ctx) override;
  // Every stored row, whatever the store mode.
  absl::Status ExportRows(OpKernelContext* ctx) override;
  absl::Status ImportValues(OpKernelContext* ctx, const Tensor& keys,
                            const Tensor& values) override;
  absl::Status SaveToFileSystem(OpKernelContext* ctx,
                                const KvFileRequest& request) override;
  absl::Status LoadFromFileSystem(OpKernelContext* ctx,
                                  const KvFileRequest& request) override;

  // LookupInterface::size() cannot report errors; it returns the size the
  // last successful TFRA>RedisTableSize op measured (only DebugString uses
  // it). The Size op is the real, fallible count.
  size_t size() const override { return last_size_.load(); }

  DataType key_dtype() const override { return DataTypeToEnum<K>::v(); }
  DataType value_dtype() const override { return DataTypeToEnum<V>::v(); }
  TensorShape key_shape() const override { return TensorShape(); }
  TensorShape value_shape() const override { return value_shape_; }
  // Memory of this process only: the data lives in Redis.
  int64_t MemoryUsed() const override { return sizeof(*this); }

 private:
  absl::Status Open(OpKernelContext* ctx, OpKernel* kernel);
  tfra::redis_table::KeyBatch MakeKeyBatch(const Tensor& keys) const;
  // Views of each row's stored bytes; string rows are encoded into `owned`.
  absl::Status EncodeRows(const Tensor& values, int64_t rows,
                          std::vector<std::string_view>* views,
                          std::vector<std::string>* owned) const;
  // Float rows of a table with a redis_value_encoding, encoded into one
  // buffer (`owned`'s only element).
  void EncodeFloatRows(const float* data, int64_t rows,
                       std::vector<std::string_view>* views,
                       std::vector<std::string>* owned) const;
  tfra::redis_table::Status DecodeRow(std::string_view stored, V* row) const;
  absl::Status FindImpl(OpKernelContext* ctx, const Tensor& keys,
                        Tensor* values, const Tensor& default_value,
                        Tensor* exists);
  absl::Status WriteExportOutputs(OpKernelContext* ctx, std::vector<K>* keys,
                                  std::vector<V>* values) const;
  absl::Status InsertRows(OpKernelContext* ctx, const Tensor& keys,
                          const Tensor& values);

  TensorShape value_shape_;
  int64_t dim_ = 0;
  std::unique_ptr<tfra::redis_table::OpenedTable> table_;
  std::atomic<size_t> last_size_{0};
};

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_TABLE_OP_H_
