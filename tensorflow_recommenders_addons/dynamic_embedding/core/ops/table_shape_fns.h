// Shape functions shared by the table ops (one home, used by every op file).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_OPS_TABLE_SHAPE_FNS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_OPS_TABLE_SHAPE_FNS_H_

#include "tensorflow/core/framework/shape_inference.h"

namespace tensorflow {
namespace recommenders_addons {

// Resource-creating op: a scalar handle carrying (key, value) shape and dtype
// as handle data, read back by the other shape functions.
absl::Status TableOfTensorsShape(shape_inference::InferenceContext* c);

// Find: values = keys.shape + value_shape, when the handle data is known.
absl::Status TableFindShape(shape_inference::InferenceContext* c);

// FindWithExists: Find's values plus exists = keys.shape.
absl::Status TableFindWithExistsShape(shape_inference::InferenceContext* c);

// Insert / Accum: values must be keys.shape + value_shape.
absl::Status TableInsertShape(shape_inference::InferenceContext* c);

// Remove: keys of any rank >= 0.
absl::Status TableRemoveShape(shape_inference::InferenceContext* c);

// Size: int64 scalar.
absl::Status TableSizeShape(shape_inference::InferenceContext* c);

// Read cache stats: an int64 vector of kReadCacheStatsSize counts.
inline constexpr int kReadCacheStatsSize = 7;
absl::Status TableReadCacheStatsShape(shape_inference::InferenceContext* c);

// Export: keys [?], values [?] + value_shape.
absl::Status TableExportShape(shape_inference::InferenceContext* c);

// Import: keys rank 1, values [len(keys)] + value_shape.
absl::Status TableImportShape(shape_inference::InferenceContext* c);

// Ops that take only the handle (and scalar string arguments).
absl::Status TableHandleOnlyShape(shape_inference::InferenceContext* c);

// Handle and a scalar input; two scalar outputs (adopting a renamed table).
absl::Status TableAdoptRenamedShape(shape_inference::InferenceContext* c);

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_OPS_TABLE_SHAPE_FNS_H_
