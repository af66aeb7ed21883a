#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/lookup_table_kernels.h"

#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/platform/errors.h"

namespace tensorflow {
namespace recommenders_addons {

absl::Status TableOpKernel::GetTable(OpKernelContext* ctx,
                                     TfraLookupTable** table) {
  lookup::LookupInterface* base = nullptr;
  TF_RETURN_IF_ERROR(LookupResource<lookup::LookupInterface>(
      ctx, HandleFromInput(ctx, 0), &base));
  *table = dynamic_cast<TfraLookupTable*>(base);
  if (*table == nullptr) {
    base->Unref();
    return errors::InvalidArgument(
        "the table handle does not refer to a TFRA table: ",
        base->DebugString());
  }
  return absl::OkStatus();
}

// Output shape of a find: keys.shape + value_shape.
static absl::Status FindOutputShape(TfraLookupTable* table, const Tensor& keys,
                                    TensorShape* shape) {
  *shape = keys.shape();
  shape->RemoveLastDims(table->key_shape().dims());
  return shape->AppendShapeWithStatus(table->value_shape());
}

void TableFindOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  const Tensor& keys = ctx->input(1);
  const Tensor& default_value = ctx->input(2);
  OP_REQUIRES_OK(ctx, table->CheckFindArguments(keys, default_value));
  TensorShape shape;
  OP_REQUIRES_OK(ctx, FindOutputShape(table, keys, &shape));
  Tensor* values;
  OP_REQUIRES_OK(ctx, ctx->allocate_output("values", shape, &values));
  OP_REQUIRES_OK(ctx, table->Find(ctx, keys, values, default_value));
}

void TableFindWithExistsOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  const Tensor& keys = ctx->input(1);
  const Tensor& default_value = ctx->input(2);
  OP_REQUIRES_OK(ctx, table->CheckFindArguments(keys, default_value));
  TensorShape shape;
  OP_REQUIRES_OK(ctx, FindOutputShape(table, keys, &shape));
  Tensor* values;
  Tensor* exists;
  OP_REQUIRES_OK(ctx, ctx->allocate_output("values", shape, &values));
  OP_REQUIRES_OK(ctx, ctx->allocate_output("exists", keys.shape(), &exists));
  OP_REQUIRES_OK(ctx, table->FindWithExists(ctx, keys, values, default_value,
                                            exists));
}

void TableInsertOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  const Tensor& keys = ctx->input(1);
  const Tensor& values = ctx->input(2);
  OP_REQUIRES_OK(ctx, table->CheckKeyAndValueTensorsForInsert(keys, values));
  OP_REQUIRES_OK(ctx, table->Insert(ctx, keys, values));
}

void TableAccumOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  const Tensor& keys = ctx->input(1);
  const Tensor& values = ctx->input(2);
  const Tensor& exists = ctx->input(3);
  OP_REQUIRES_OK(ctx, table->CheckKeyAndValueTensorsForInsert(keys, values));
  OP_REQUIRES(ctx, exists.shape() == keys.shape(),
              errors::InvalidArgument("exists must have the keys' shape ",
                                      keys.shape().DebugString(), ", got ",
                                      exists.shape().DebugString()));
  OP_REQUIRES_OK(ctx, table->Accum(ctx, keys, values, exists));
}

void TableRemoveOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  const Tensor& keys = ctx->input(1);
  OP_REQUIRES_OK(ctx, table->CheckKeyTensorForRemove(keys));
  OP_REQUIRES_OK(ctx, table->Remove(ctx, keys));
}

void TableClearOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  OP_REQUIRES_OK(ctx, table->Clear(ctx));
}

void TableSizeOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  int64_t size = 0;
  OP_REQUIRES_OK(ctx, table->Size(ctx, &size));
  Tensor* out;
  OP_REQUIRES_OK(ctx, ctx->allocate_output("size", TensorShape({}), &out));
  out->scalar<int64_t>()() = size;
}

void TableExportOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  OP_REQUIRES_OK(ctx, table->ExportValues(ctx));
}

void TableExportRowsOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  OP_REQUIRES_OK(ctx, table->ExportRows(ctx));
}

void TableImportOp::Compute(OpKernelContext* ctx) {
  TfraLookupTable* table;
  OP_REQUIRES_OK(ctx, GetTable(ctx, &table));
  core::ScopedUnref unref(table);
  const Tensor& keys = ctx->input(1);
  const Tensor& values = ctx->input(2);
  OP_REQUIRES_OK(ctx, table->CheckKeyAndValueTensorsForImport(keys, values));
  OP_REQUIRES_OK(ctx, table->ImportValues(ctx, keys, values));
}

}  // namespace recommenders_addons
}  // namespace tensorflow
