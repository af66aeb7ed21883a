// Generic op kernels over TfraLookupTable, written once and registered for
// the Redis table's ops in redis_table_kernels.cc. They validate tensors with
// LookupInterface's checks, allocate outputs and delegate; they know nothing
// about Redis.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_LOOKUP_TABLE_KERNELS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_LOOKUP_TABLE_KERNELS_H_

#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/tfra_lookup_table.h"

namespace tensorflow {
namespace recommenders_addons {

// Base: resolves input 0 (a resource handle) to the table.
class TableOpKernel : public OpKernel {
 public:
  explicit TableOpKernel(OpKernelConstruction* ctx) : OpKernel(ctx) {}

 protected:
  // On success the caller owns one reference (use core::ScopedUnref).
  absl::Status GetTable(OpKernelContext* ctx, TfraLookupTable** table);
};

class TableFindOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

class TableFindWithExistsOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

class TableInsertOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

class TableAccumOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

class TableRemoveOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

class TableClearOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

class TableSizeOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

class TableExportOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

class TableExportRowsOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

class TableImportOp : public TableOpKernel {
 public:
  using TableOpKernel::TableOpKernel;
  void Compute(OpKernelContext* ctx) override;
};

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_LOOKUP_TABLE_KERNELS_H_
