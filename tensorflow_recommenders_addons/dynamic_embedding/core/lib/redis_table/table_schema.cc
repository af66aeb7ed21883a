#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_schema.h"

#include <utility>

namespace tfra {
namespace redis_table {
namespace {

struct ElementInfo {
  ElementType type;
  std::string_view name;
  size_t size;
};

// One row per element type: its name and size, in ElementType's order.
constexpr ElementInfo kElements[] = {
    {ElementType::kFloat32, "float32", 4}, {ElementType::kFloat64, "float64", 8},
    {ElementType::kInt32, "int32", 4},     {ElementType::kInt64, "int64", 8},
    {ElementType::kInt8, "int8", 1},       {ElementType::kFloat16, "float16", 2},
    {ElementType::kBFloat16, "bfloat16", 2}, {ElementType::kBool, "bool", 1},
    {ElementType::kString, "string", 0},
};

// TensorFlow's C++ names (DataTypeString) of the same types.
constexpr std::pair<std::string_view, ElementType> kAliases[] = {
    {"float", ElementType::kFloat32},
    {"double", ElementType::kFloat64},
    {"half", ElementType::kFloat16},
};

const ElementInfo& InfoOf(ElementType type) {
  return kElements[static_cast<size_t>(type)];
}

}  // namespace

std::string_view KeyKindName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kInt32:
      return "int32";
    case KeyKind::kInt64:
      return "int64";
    case KeyKind::kString:
      return "string";
  }
  return "unknown";
}

std::string_view ElementTypeName(ElementType type) {
  return InfoOf(type).name;
}

bool KeyKindFromName(std::string_view name, KeyKind* kind) {
  for (KeyKind candidate :
       {KeyKind::kInt32, KeyKind::kInt64, KeyKind::kString}) {
    if (name == KeyKindName(candidate)) {
      *kind = candidate;
      return true;
    }
  }
  return false;
}

bool ElementTypeFromName(std::string_view name, ElementType* type) {
  for (const ElementInfo& info : kElements) {
    if (name == info.name) {
      *type = info.type;
      return true;
    }
  }
  for (const auto& [alias, aliased] : kAliases) {
    if (name == alias) {
      *type = aliased;
      return true;
    }
  }
  return false;
}

size_t ElementSize(ElementType type) { return InfoOf(type).size; }

}  // namespace redis_table
}  // namespace tfra
