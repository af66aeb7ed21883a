#include "tensorflow_recommenders_addons/dynamic_embedding/core/ops/table_shape_fns.h"

#include <vector>

#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace tensorflow {
namespace recommenders_addons {

using shape_inference::DimensionHandle;
using shape_inference::InferenceContext;
using shape_inference::ShapeAndType;
using shape_inference::ShapeHandle;

namespace {

absl::Status ValidateScalarHandle(InferenceContext* c) {
  ShapeHandle handle;
  return c->WithRank(c->input(0), 0, &handle);
}

// The value shape stored in the handle data by TableOfTensorsShape, or an
// unknown shape when the handle comes from somewhere without handle data.
ShapeHandle ValueShapeFromHandle(InferenceContext* c) {
  const std::vector<ShapeAndType>* handle_data =
      c->input_handle_shapes_and_types(0);
  if (handle_data == nullptr || handle_data->size() != 2) {
    return c->UnknownShape();
  }
  return (*handle_data)[1].shape;
}

// keys.shape + value_shape, or unknown when either is unknown.
absl::Status KeysPlusValueShape(InferenceContext* c, ShapeHandle keys,
                                ShapeHandle* out) {
  return c->Concatenate(keys, ValueShapeFromHandle(c), out);
}

}  // namespace

absl::Status TableOfTensorsShape(InferenceContext* c) {
  PartialTensorShape value_p;
  DataType key_dtype;
  DataType value_dtype;
  TF_RETURN_IF_ERROR(c->GetAttr("key_dtype", &key_dtype));
  TF_RETURN_IF_ERROR(c->GetAttr("value_dtype", &value_dtype));
  TF_RETURN_IF_ERROR(c->GetAttr("value_shape", &value_p));
  ShapeHandle value_s;
  TF_RETURN_IF_ERROR(c->MakeShapeFromPartialTensorShape(value_p, &value_s));
  c->set_output(0, c->Scalar());
  c->set_output_handle_shapes_and_types(
      0, std::vector<ShapeAndType>{{c->Scalar(), key_dtype},
                                   {value_s, value_dtype}});
  return absl::OkStatus();
}

absl::Status TableFindShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(ValidateScalarHandle(c));
  ShapeHandle values;
  TF_RETURN_IF_ERROR(KeysPlusValueShape(c, c->input(1), &values));
  c->set_output(0, values);
  return absl::OkStatus();
}

absl::Status TableFindWithExistsShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(TableFindShape(c));
  c->set_output(1, c->input(1));
  return absl::OkStatus();
}

absl::Status TableInsertShape(InferenceContext* c) {
  // Keys and values are checked by the kernel ("Expected shape ..."), as
  // TF's own LookupTableInsertV2 and TFRA 0.8 do: a graph with mismatched
  // static shapes still builds and fails when it runs, with an op error that
  // scripts written for TFRA catch.
  return ValidateScalarHandle(c);
}

absl::Status TableRemoveShape(InferenceContext* c) {
  return ValidateScalarHandle(c);
}

absl::Status TableSizeShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(ValidateScalarHandle(c));
  c->set_output(0, c->Scalar());
  return absl::OkStatus();
}

absl::Status TableReadCacheStatsShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(ValidateScalarHandle(c));
  c->set_output(0, c->Vector(kReadCacheStatsSize));
  return absl::OkStatus();
}

absl::Status TableExportShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(ValidateScalarHandle(c));
  ShapeHandle keys = c->Vector(InferenceContext::kUnknownDim);
  ShapeHandle values;
  TF_RETURN_IF_ERROR(KeysPlusValueShape(c, keys, &values));
  c->set_output(0, keys);
  c->set_output(1, values);
  return absl::OkStatus();
}

absl::Status TableImportShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(ValidateScalarHandle(c));
  ShapeHandle keys;
  TF_RETURN_IF_ERROR(c->WithRankAtMost(c->input(1), 1, &keys));
  ShapeHandle expected;
  TF_RETURN_IF_ERROR(KeysPlusValueShape(
      c, c->Vector(c->Rank(keys) == 1 ? c->Dim(keys, 0)
                                      : c->UnknownDim()),
      &expected));
  ShapeHandle merged;
  TF_RETURN_IF_ERROR(c->Merge(c->input(2), expected, &merged));
  return absl::OkStatus();
}

absl::Status TableHandleOnlyShape(InferenceContext* c) {
  return ValidateScalarHandle(c);
}

absl::Status TableAdoptRenamedShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(ValidateScalarHandle(c));
  ShapeHandle name;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 0, &name));
  c->set_output(0, c->Scalar());
  c->set_output(1, c->Scalar());
  return absl::OkStatus();
}

}  // namespace recommenders_addons
}  // namespace tensorflow
