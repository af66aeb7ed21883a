// The table interface the generic kernels use: TensorFlow's LookupInterface
// plus the operations TFRA tables add (find with exists, accum, clear, a
// size that can fail). Written once; the Redis table implements it.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TFRA_LOOKUP_TABLE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TFRA_LOOKUP_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tensorflow/core/framework/lookup_interface.h"
#include "tensorflow/core/framework/op_kernel.h"

namespace tensorflow {
namespace recommenders_addons {

// One save_to_file_system / load_from_file_system call: the op's inputs
// (dirpath, file_name) and attrs.
struct KvFileRequest {
  std::string dirpath;
  std::string file_name;
  std::string dirpath_env;  // name of the env var that overrides dirpath
  bool append_to_file = false;
  bool load_entire_dir = false;
  int64_t buffer_size = 1;  // rows per file write / per insert
};

class TfraLookupTable : public lookup::LookupInterface {
 public:
  // Like Find, and exists[i] tells whether key i was stored.
  virtual absl::Status FindWithExists(OpKernelContext* ctx, const Tensor& keys,
                                      Tensor* values,
                                      const Tensor& default_value,
                                      Tensor* exists) = 0;

  // Adds values_or_deltas to stored keys whose exists flag is set, stores
  // them for absent keys whose flag is clear.
  virtual absl::Status Accum(OpKernelContext* ctx, const Tensor& keys,
                             const Tensor& values_or_deltas,
                             const Tensor& exists) = 0;

  virtual absl::Status Clear(OpKernelContext* ctx) = 0;

  // Outputs "keys" and "values" with every stored row. ExportValues may
  // export less, depending on how the table is checkpointed.
  virtual absl::Status ExportRows(OpKernelContext* ctx) = 0;

  // Takes over the rows stored under `former_name` when this table has none
  // (renamed_table.h): how many storage units were renamed, and whether both
  // had rows (then nothing moved).
  virtual absl::Status AdoptRenamed(OpKernelContext* ctx,
                                    const std::string& former_name,
                                    int64_t* renamed, bool* kept_both) = 0;

  // The number of stored keys; unlike size(), reports failures.
  virtual absl::Status Size(OpKernelContext* ctx, int64_t* size) = 0;

  // The read cache's counts, in the order of TFRA>RedisTableReadCacheStats.
  virtual std::vector<int64_t> ReadCacheStats() const = 0;

  // Writes every row to <dir>/<file_name>-keys and -values.
  virtual absl::Status SaveToFileSystem(OpKernelContext* ctx,
                                        const KvFileRequest& request) = 0;
  // Upserts the rows of such files (of every matching file pair in the
  // folder with load_entire_dir).
  virtual absl::Status LoadFromFileSystem(OpKernelContext* ctx,
                                          const KvFileRequest& request) = 0;

 protected:
  ~TfraLookupTable() override = default;
};

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TFRA_LOOKUP_TABLE_H_
