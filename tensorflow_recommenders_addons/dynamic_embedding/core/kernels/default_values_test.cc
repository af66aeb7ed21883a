#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/default_values.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"

namespace tensorflow {
namespace recommenders_addons {
namespace {

template <class V>
Tensor MakeTensor(const TensorShape& shape, const std::vector<V>& values) {
  Tensor tensor(DataTypeToEnum<V>::v(), shape);
  std::copy(values.begin(), values.end(), tensor.flat<V>().data());
  return tensor;
}

TEST(FillDefaultValuesTest, OneDefaultRowFillsEveryMissingKey) {
  const Tensor defaults = MakeTensor<float>(TensorShape({2}), {-1, -2});
  std::vector<float> out = {1, 1, 0, 0, 3, 3, 0, 0};
  const bool found[] = {true, false, true, false};
  FillDefaultValues<float>(found, 4, 2, defaults, out.data());
  EXPECT_EQ(out, (std::vector<float>{1, 1, -1, -2, 3, 3, -1, -2}));
}

TEST(FillDefaultValuesTest, ADefaultRowPerKeyFillsItsOwnKey) {
  const Tensor defaults =
      MakeTensor<int64_t>(TensorShape({3, 2}), {10, 11, 20, 21, 30, 31});
  std::vector<int64_t> out = {0, 0, 7, 7, 0, 0};
  const bool found[] = {false, true, false};
  FillDefaultValues<int64_t>(found, 3, 2, defaults, out.data());
  EXPECT_EQ(out, (std::vector<int64_t>{10, 11, 7, 7, 30, 31}));
}

// With one key, n * dim defaults are also one row: both readings agree.
TEST(FillDefaultValuesTest, OneKeyTakesTheOneRow) {
  const Tensor defaults = MakeTensor<double>(TensorShape({1, 3}), {4, 5, 6});
  std::vector<double> out(3, 0);
  const bool found[] = {false};
  FillDefaultValues<double>(found, 1, 3, defaults, out.data());
  EXPECT_EQ(out, (std::vector<double>{4, 5, 6}));
}

TEST(FillDefaultValuesTest, FoundRowsAreNeverWritten) {
  const Tensor defaults = MakeTensor<int32>(TensorShape({1}), {-9});
  std::vector<int32> out = {1, 2, 3};
  const bool found[] = {true, true, true};
  FillDefaultValues<int32>(found, 3, 1, defaults, out.data());
  EXPECT_EQ(out, (std::vector<int32>{1, 2, 3}));
}

TEST(FillDefaultValuesTest, StringRowsAreCopied) {
  const Tensor defaults =
      MakeTensor<tstring>(TensorShape({2}), {tstring("a"), tstring("bc")});
  std::vector<tstring> out = {tstring("x"), tstring("y"), tstring(""),
                              tstring("")};
  const bool found[] = {true, false};
  FillDefaultValues<tstring>(found, 2, 2, defaults, out.data());
  EXPECT_EQ(std::string(out[0]), "x");
  EXPECT_EQ(std::string(out[1]), "y");
  EXPECT_EQ(std::string(out[2]), "a");
  EXPECT_EQ(std::string(out[3]), "bc");
}

}  // namespace
}  // namespace recommenders_addons
}  // namespace tensorflow
