// Generic op kernels over TfraLookupTable, written once and registered for
// the Redis table's ops in redis_table_kernels.cc. They validate tensors with
// LookupInterface's checks, allocate outputs and delegate; they know nothing
// about Redis.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_LOOKUP_TABLE_KERNELS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_LOOKUP_TABLE_KERNELS_H_

#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/platform/refcount.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/tfra_lookup_table.h"

namespace tensorflow {
namespace recommenders_addons {

// Base: resolves input 0 (a resource handle) to the table.
class TableOpKernel : public OpKernel {
 public:
  explicit TableOpKernel(OpKernelConstruction* ctx) : OpKernel(ctx) {}

 protected:
  // Runs `body(table)` (returning absl::Status) while holding a reference
  // to the table of input 0; the op fails with the status of the lookup or
  // of `body`.
  template <typename Body>
  void WithTable(OpKernelContext* ctx, const Body& body) {
    TfraLookupTable* table = nullptr;
    OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
    core::ScopedUnref unref(table);
    OP_REQUIRES_OK(ctx, body(table));
  }

 private:
  // On success the caller owns one reference.
  absl::Status GetTable(OpKernelContext* ctx, TfraLookupTable** table);
};

// What one op does with its table, given only the context.
using TableOpBody = absl::Status (*)(OpKernelContext* ctx,
                                     TfraLookupTable* table);

// A table op without attrs of its own: one body below per op.
template <TableOpBody kBody>
class TableOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override {
    WithTable(ctx, [ctx](TfraLookupTable* table) { return kBody(ctx, table); });
  }
};

absl::Status TableFind(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableFindWithExists(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableInsert(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableAccum(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableRemove(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableClear(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableSize(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableReadCacheStats(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableExport(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableExportRows(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableImport(OpKernelContext* ctx, TfraLookupTable* table);
absl::Status TableAdoptRenamed(OpKernelContext* ctx, TfraLookupTable* table);

// save_to_file_system (kSave) and load_from_file_system: inputs dirpath and
// file_name; attrs dirpath_env, buffer_size and append_to_file (save) or
// load_entire_dir (load).
template <bool kSave>
class KvFileSystemOp : public TableOpKernel {
 public:
  explicit KvFileSystemOp(OpKernelConstruction* ctx);
  void Compute(OpKernelContext* ctx) override;

 private:
  KvFileRequest attrs_;  // the attrs; inputs are filled per call
};

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_LOOKUP_TABLE_KERNELS_H_
