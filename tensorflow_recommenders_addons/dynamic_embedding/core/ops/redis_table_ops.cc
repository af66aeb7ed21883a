// Op signatures of the Redis table, with upstream TFRA's names and attrs so
// graphs and SavedModels built by either load in the other. Signatures and
// shape functions only: kernels are in ../kernels/.
#include "tensorflow/core/framework/op.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/ops/table_shape_fns.h"

namespace tensorflow {
namespace recommenders_addons {

REGISTER_OP("TFRA>RedisTableOfTensors")
    .Output("table_handle: resource")
    .Attr("container: string = ''")
    .Attr("shared_name: string = ''")
    .Attr("use_node_name_sharing: bool = false")
    .Attr("key_dtype: type")
    .Attr("value_dtype: type")
    .Attr("value_shape: shape = {}")
    .Attr("embedding_name: string = ''")
    .Attr("redis_config_abs_dir: string = ''")
    .Attr("redis_config_abs_dir_env: string = ''")
    .SetIsStateful()
    .SetShapeFn(TableOfTensorsShape);

REGISTER_OP("TFRA>RedisTableFind")
    .Input("table_handle: resource")
    .Input("keys: Tin")
    .Input("default_value: Tout")
    .Output("values: Tout")
    .Attr("Tin: type")
    .Attr("Tout: type")
    .SetShapeFn(TableFindShape);

REGISTER_OP("TFRA>RedisTableFindWithExists")
    .Input("table_handle: resource")
    .Input("keys: Tin")
    .Input("default_value: Tout")
    .Output("values: Tout")
    .Output("exists: bool")
    .Attr("Tin: type")
    .Attr("Tout: type")
    .SetShapeFn(TableFindWithExistsShape);

REGISTER_OP("TFRA>RedisTableInsert")
    .Input("table_handle: resource")
    .Input("keys: Tin")
    .Input("values: Tout")
    .Attr("Tin: type")
    .Attr("Tout: type")
    .SetShapeFn(TableInsertShape);

REGISTER_OP("TFRA>RedisTableAccum")
    .Input("table_handle: resource")
    .Input("keys: key_dtype")
    .Input("values_or_deltas: value_dtype")
    .Input("exists: bool")
    .Attr("key_dtype: type")
    .Attr("value_dtype: type")
    .SetShapeFn(TableInsertShape);

REGISTER_OP("TFRA>RedisTableRemove")
    .Input("table_handle: resource")
    .Input("keys: Tin")
    .Attr("Tin: type")
    .SetShapeFn(TableRemoveShape);

REGISTER_OP("TFRA>RedisTableClear")
    .Input("table_handle: resource")
    .Attr("key_dtype: type")
    .Attr("value_dtype: type")
    .SetShapeFn(TableHandleOnlyShape);

REGISTER_OP("TFRA>RedisTableSize")
    .Input("table_handle: resource")
    .Output("size: int64")
    .SetShapeFn(TableSizeShape);

// Ours (not in upstream): the counts of the process's read cache
// (redis_read_cache_bytes) as [hits, misses, expired, evictions, entries,
// bytes, capacity_bytes]; zeros when the process has none.
REGISTER_OP("TFRA>RedisTableReadCacheStats")
    .Input("table_handle: resource")
    .Output("stats: int64")
    .SetShapeFn(TableReadCacheStatsShape);

// The two export ops share one signature.
#define TFRA_TABLE_EXPORT_SIGNATURE   \
  Input("table_handle: resource")     \
      .Output("keys: Tkeys")          \
      .Output("values: Tvalues")      \
      .Attr("Tkeys: type")            \
      .Attr("Tvalues: type")          \
      .SetShapeFn(TableExportShape)

REGISTER_OP("TFRA>RedisTableExport").TFRA_TABLE_EXPORT_SIGNATURE;

// Ours (not in upstream): every stored row whatever table_store_mode says,
// for users calling export(). TFRA>RedisTableExport keeps upstream's
// per-mode checkpoint semantics.
REGISTER_OP("TFRA>RedisTableExportRows").TFRA_TABLE_EXPORT_SIGNATURE;
#undef TFRA_TABLE_EXPORT_SIGNATURE

// Ours (not in upstream): takes over the rows this table's Redis keys held
// under an earlier embedding name, when the table has none (see
// core/lib/redis_table/renamed_table.h).
REGISTER_OP("TFRA>RedisTableAdoptRenamed")
    .Input("table_handle: resource")
    .Input("former_embedding_name: string")
    .Output("buckets_renamed: int64")
    .Output("kept_both: bool")
    .SetShapeFn(TableAdoptRenamedShape);

REGISTER_OP("TFRA>RedisTableImport")
    .Input("table_handle: resource")
    .Input("keys: Tin")
    .Input("values: Tout")
    .Attr("Tin: type")
    .Attr("Tout: type")
    .SetShapeFn(TableImportShape);

// save_to_file_system / load_from_file_system: the same inputs and attrs
// but the one bool attr that says how files are written or chosen.
#define TFRA_TABLE_FILE_SYSTEM_SIGNATURE(bool_attr) \
  Input("table_handle: resource")                   \
      .Input("dirpath: string")                     \
      .Input("file_name: string")                   \
      .Attr("key_dtype: type")                      \
      .Attr("value_dtype: type")                    \
      .Attr("dirpath_env: string")                  \
      .Attr(bool_attr ": bool")                     \
      .Attr("buffer_size: int >= 1")                \
      .SetShapeFn(TableHandleOnlyShape)

REGISTER_OP("TFRA>RedisTableSaveToFileSystem")
    .TFRA_TABLE_FILE_SYSTEM_SIGNATURE("append_to_file");
REGISTER_OP("TFRA>RedisTableLoadFromFileSystem")
    .TFRA_TABLE_FILE_SYSTEM_SIGNATURE("load_entire_dir");
#undef TFRA_TABLE_FILE_SYSTEM_SIGNATURE

}  // namespace recommenders_addons
}  // namespace tensorflow
