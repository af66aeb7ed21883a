// Kernel registrations of the Redis table ops. The resource op is TF's own
// LookupTableOp over RedisTableOfTensors<K, V>, typed over the dtype matrix;
// every other op is one generic kernel (lookup_table_kernels.h), as in TF's
// lookup_table_op.cc.
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/kernels/lookup_table_op.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/lookup_table_kernels.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_table_dtypes.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_table_op.h"

namespace tensorflow {
namespace recommenders_addons {

#define TFRA_REGISTER_REDIS_TABLE(K, V)                                    \
  REGISTER_KERNEL_BUILDER(                                                 \
      Name("TFRA>RedisTableOfTensors")                                     \
          .Device(DEVICE_CPU)                                              \
          .TypeConstraint<K>("key_dtype")                                  \
          .TypeConstraint<V>("value_dtype"),                               \
      LookupTableOp<RedisTableOfTensors<K, V>, K, V>);
TFRA_REDIS_TABLE_DTYPES(TFRA_REGISTER_REDIS_TABLE)
#undef TFRA_REGISTER_REDIS_TABLE

#define TFRA_REGISTER_GENERIC(op_name, kernel) \
  REGISTER_KERNEL_BUILDER(Name(op_name).Device(DEVICE_CPU), kernel);
TFRA_REGISTER_GENERIC("TFRA>RedisTableFind", TableOp<TableFind>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableFindWithExists",
                      TableOp<TableFindWithExists>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableInsert", TableOp<TableInsert>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableAccum", TableOp<TableAccum>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableRemove", TableOp<TableRemove>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableClear", TableOp<TableClear>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableSize", TableOp<TableSize>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableReadCacheStats",
                      TableOp<TableReadCacheStats>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableExport", TableOp<TableExport>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableExportRows", TableOp<TableExportRows>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableImport", TableOp<TableImport>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableAdoptRenamed",
                      TableOp<TableAdoptRenamed>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableSaveToFileSystem",
                      KvFileSystemOp</*kSave=*/true>)
TFRA_REGISTER_GENERIC("TFRA>RedisTableLoadFromFileSystem",
                      KvFileSystemOp</*kSave=*/false>)
#undef TFRA_REGISTER_GENERIC

}  // namespace recommenders_addons
}  // namespace tensorflow
