#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/lookup_table_kernels.h"

#include <algorithm>

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

namespace {

// Checks keys (input 1) and default_value (input 2) and allocates "values"
// shaped keys.shape + value_shape.
absl::Status PrepareFind(OpKernelContext* ctx, TfraLookupTable* table,
                         Tensor** values) {
  const Tensor& keys = ctx->input(1);
  TF_RETURN_IF_ERROR(table->CheckFindArguments(keys, ctx->input(2)));
  TensorShape shape = keys.shape();
  shape.RemoveLastDims(table->key_shape().dims());
  TF_RETURN_IF_ERROR(shape.AppendShapeWithStatus(table->value_shape()));
  return ctx->allocate_output("values", shape, values);
}

absl::Status ScalarInput(OpKernelContext* ctx, const char* name,
                         std::string* value) {
  const Tensor* tensor;
  TF_RETURN_IF_ERROR(ctx->input(name, &tensor));
  if (!TensorShapeUtils::IsScalar(tensor->shape())) {
    return errors::InvalidArgument(name, " must be a scalar string, got shape ",
                                   tensor->shape().DebugString());
  }
  *value = tensor->scalar<tstring>()();
  return absl::OkStatus();
}

}  // namespace

absl::Status TableFind(OpKernelContext* ctx, TfraLookupTable* table) {
  Tensor* values;
  TF_RETURN_IF_ERROR(PrepareFind(ctx, table, &values));
  return table->Find(ctx, ctx->input(1), values, ctx->input(2));
}

absl::Status TableFindWithExists(OpKernelContext* ctx, TfraLookupTable* table) {
  Tensor* values;
  Tensor* exists;
  TF_RETURN_IF_ERROR(PrepareFind(ctx, table, &values));
  TF_RETURN_IF_ERROR(
      ctx->allocate_output("exists", ctx->input(1).shape(), &exists));
  return table->FindWithExists(ctx, ctx->input(1), values, ctx->input(2),
                               exists);
}

absl::Status TableInsert(OpKernelContext* ctx, TfraLookupTable* table) {
  const Tensor& keys = ctx->input(1);
  const Tensor& values = ctx->input(2);
  TF_RETURN_IF_ERROR(table->CheckKeyAndValueTensorsForInsert(keys, values));
  return table->Insert(ctx, keys, values);
}

absl::Status TableAccum(OpKernelContext* ctx, TfraLookupTable* table) {
  const Tensor& keys = ctx->input(1);
  const Tensor& values = ctx->input(2);
  const Tensor& exists = ctx->input(3);
  TF_RETURN_IF_ERROR(table->CheckKeyAndValueTensorsForInsert(keys, values));
  if (exists.shape() != keys.shape()) {
    return errors::InvalidArgument("exists must have the keys' shape ",
                                   keys.shape().DebugString(), ", got ",
                                   exists.shape().DebugString());
  }
  return table->Accum(ctx, keys, values, exists);
}

absl::Status TableRemove(OpKernelContext* ctx, TfraLookupTable* table) {
  const Tensor& keys = ctx->input(1);
  TF_RETURN_IF_ERROR(table->CheckKeyTensorForRemove(keys));
  return table->Remove(ctx, keys);
}

absl::Status TableClear(OpKernelContext* ctx, TfraLookupTable* table) {
  return table->Clear(ctx);
}

absl::Status TableSize(OpKernelContext* ctx, TfraLookupTable* table) {
  int64_t size = 0;
  TF_RETURN_IF_ERROR(table->Size(ctx, &size));
  Tensor* out;
  TF_RETURN_IF_ERROR(ctx->allocate_output("size", TensorShape({}), &out));
  out->scalar<int64_t>()() = size;
  return absl::OkStatus();
}

absl::Status TableAdoptRenamed(OpKernelContext* ctx, TfraLookupTable* table) {
  std::string former_name;
  TF_RETURN_IF_ERROR(ScalarInput(ctx, "former_embedding_name", &former_name));
  int64_t renamed = 0;
  bool kept_both = false;
  TF_RETURN_IF_ERROR(
      table->AdoptRenamed(ctx, former_name, &renamed, &kept_both));
  Tensor* out;
  TF_RETURN_IF_ERROR(
      ctx->allocate_output("buckets_renamed", TensorShape({}), &out));
  out->scalar<int64_t>()() = renamed;
  TF_RETURN_IF_ERROR(ctx->allocate_output("kept_both", TensorShape({}), &out));
  out->scalar<bool>()() = kept_both;
  return absl::OkStatus();
}

absl::Status TableReadCacheStats(OpKernelContext* ctx, TfraLookupTable* table) {
  const std::vector<int64_t> stats = table->ReadCacheStats();
  Tensor* out;
  TF_RETURN_IF_ERROR(ctx->allocate_output(
      "stats", TensorShape({static_cast<int64_t>(stats.size())}), &out));
  std::copy(stats.begin(), stats.end(), out->flat<int64_t>().data());
  return absl::OkStatus();
}

absl::Status TableExport(OpKernelContext* ctx,
                                  TfraLookupTable* table) {
  return table->ExportValues(ctx);
}

absl::Status TableExportRows(OpKernelContext* ctx, TfraLookupTable* table) {
  return table->ExportRows(ctx);
}

absl::Status TableImport(OpKernelContext* ctx, TfraLookupTable* table) {
  const Tensor& keys = ctx->input(1);
  const Tensor& values = ctx->input(2);
  TF_RETURN_IF_ERROR(table->CheckKeyAndValueTensorsForImport(keys, values));
  return table->ImportValues(ctx, keys, values);
}

template <bool kSave>
KvFileSystemOp<kSave>::KvFileSystemOp(OpKernelConstruction* ctx)
    : TableOpKernel(ctx) {
  OP_REQUIRES_OK(ctx, ctx->GetAttr("dirpath_env", &attrs_.dirpath_env));
  OP_REQUIRES_OK(ctx, ctx->GetAttr("buffer_size", &attrs_.buffer_size));
  OP_REQUIRES_OK(ctx, ctx->GetAttr(kSave ? "append_to_file" : "load_entire_dir",
                                   kSave ? &attrs_.append_to_file
                                         : &attrs_.load_entire_dir));
}

template <bool kSave>
void KvFileSystemOp<kSave>::Compute(OpKernelContext* ctx) {
  WithTable(ctx, [this, ctx](TfraLookupTable* table) -> absl::Status {
    KvFileRequest request = attrs_;
    TF_RETURN_IF_ERROR(ScalarInput(ctx, "dirpath", &request.dirpath));
    TF_RETURN_IF_ERROR(ScalarInput(ctx, "file_name", &request.file_name));
    return kSave ? table->SaveToFileSystem(ctx, request)
                 : table->LoadFromFileSystem(ctx, request);
  });
}

template class KvFileSystemOp<true>;
template class KvFileSystemOp<false>;

}  // namespace recommenders_addons
}  // namespace tensorflow
