#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/kv_files.h"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;

// Files in memory: path -> bytes.
using Files = std::map<std::string, std::string>;

class StringSink : public ByteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  Status Append(std::string_view bytes) override {
    out_->append(bytes);
    ++appends;
    return Status::Ok();
  }
  int appends = 0;

 private:
  std::string* out_;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  Status Read(size_t n, std::string* out) override {
    *out = data_.substr(pos_, n);
    pos_ += out->size();
    return Status::Ok();
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

OpenSourceFn OpenIn(const Files* files) {
  return [files](const std::string& path)
             -> Result<std::unique_ptr<ByteSource>> {
    auto it = files->find(path);
    if (it == files->end()) return NotFoundError(path + " not found");
    return std::unique_ptr<ByteSource>(new StringSource(it->second));
  };
}

std::string Int64Bytes(int64_t key) { return std::string(KeyBytes(key)); }

std::string FloatRow(float a, float b) {
  const float row[2] = {a, b};
  return std::string(PodRowBytes(row, 2));
}

// One standalone server for the suite; each test has its own model tag.
class KvFilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    servers_ = client_util::StartServers(redis_client::Mode::kStandalone)
                   .release();
  }
  static void TearDownTestSuite() {
    delete servers_;
    servers_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(servers_, nullptr);
    auto client =
        redis_client::CreateClient(client_util::OptionsFor(*servers_));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
    tag_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::unique_ptr<RedisTableStore> Store(const std::string& tag,
                                         int32_t slices) {
    return test_util::MakeStore(
        client_, test_util::LayoutConfig(slices, tag_ + tag), "emb", 100);
  }

  // Inserts field -> value pairs with the bucketing of `kind`.
  void Put(const RedisTableStore& store, KeyKind kind, uint32_t slices,
           const std::map<std::string, std::string>& rows) {
    FieldBucketer bucketer(kind, slices, false);
    KeyBatch batch;
    std::vector<std::string_view> values;
    for (const auto& [field, value] : rows) {
      batch.fields.push_back(field);
      batch.buckets.push_back(*bucketer.BucketOf(field));
      values.push_back(value);
    }
    const Status status = store.Insert(batch, values, nullptr);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  std::map<std::string, std::string> Contents(const RedisTableStore& store) {
    std::map<std::string, std::string> rows;
    EXPECT_TRUE(store
                    .Export([&](std::string_view field, std::string_view v) {
                      rows[std::string(field)] = std::string(v);
                      return Status::Ok();
                    })
                    .ok());
    return rows;
  }

  static redis_client::testing::RedisServers* servers_;
  std::shared_ptr<redis_client::RedisClient> client_;
  std::string tag_;
};

redis_client::testing::RedisServers* KvFilesTest::servers_ = nullptr;

constexpr KvRecordFormat kInt64Float2{KeyKind::kInt64, 8, 2};

TEST_F(KvFilesTest, SavedFilesHoldRawKeysAndRowsInTheSameOrder) {
  auto store = Store("a", 3);
  std::map<std::string, std::string> rows;
  for (int64_t key = -500; key < 500; ++key) {
    rows[Int64Bytes(key)] = FloatRow(key, key * 0.5f);
  }
  Put(*store, KeyKind::kInt64, 3, rows);
  std::string keys, values;
  StringSink key_sink(&keys), value_sink(&values);
  int64_t saved = 0;
  const Status status =
      SaveKvFiles(*store, kInt64Float2, 64, &key_sink, &value_sink, &saved);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(saved, 1000);
  ASSERT_EQ(keys.size(), 1000u * 8);
  ASSERT_EQ(values.size(), 1000u * 8);
  EXPECT_EQ(key_sink.appends, 16);  // ceil(1000 / 64): one buffer per write
  std::map<std::string, std::string> from_files;
  for (size_t i = 0; i < 1000; ++i) {
    from_files[keys.substr(i * 8, 8)] = values.substr(i * 8, 8);
  }
  EXPECT_EQ(from_files, rows);
}

TEST_F(KvFilesTest, LoadUpsertsIntoAnotherBucketLayoutInChunks) {
  auto source = Store("src", 3);
  std::map<std::string, std::string> rows;
  for (int64_t key = 0; key < 250; ++key) {
    rows[Int64Bytes(key)] = FloatRow(key, 1);
  }
  Put(*source, KeyKind::kInt64, 3, rows);
  Files files;
  StringSink key_sink(&files["/d/emb-keys"]);
  StringSink value_sink(&files["/d/emb-values"]);
  int64_t count = 0;
  ASSERT_TRUE(SaveKvFiles(*source, kInt64Float2, 1000, &key_sink, &value_sink,
                          &count)
                  .ok());
  auto target = Store("dst", 2);
  Put(*target, KeyKind::kInt64, 2, {{Int64Bytes(7), FloatRow(0, 0)},
                                    {Int64Bytes(9999), FloatRow(9, 9)}});
  const Status status =
      LoadKvFiles(*target, kInt64Float2,
                  FieldBucketer(KeyKind::kInt64, 2, false), 30, "/d/emb",
                  OpenIn(&files), nullptr, &count);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(count, 250);
  rows[Int64Bytes(9999)] = FloatRow(9, 9);  // kept; key 7 overwritten
  EXPECT_EQ(Contents(*target), rows);
}

std::string Int8Row(float a, float b) {
  const float row[2] = {a, b};
  std::string stored(EncodedRowBytes(RowEncoding::kInt8, 2), '\0');
  EncodeFloatRow(RowEncoding::kInt8, row, 2, stored.data());
  return stored;
}

TEST_F(KvFilesTest, CompactRowsGoToFilesAsFloat32AndComeBackEncoded) {
  KvRecordFormat format = kInt64Float2;
  format.stored_encoding = RowEncoding::kInt8;
  auto source = Store("src", 2);
  std::map<std::string, std::string> stored;
  for (int64_t key = 0; key < 40; ++key) {
    stored[Int64Bytes(key)] = Int8Row(key, -127);  // int8 holds them exactly
  }
  Put(*source, KeyKind::kInt64, 2, stored);
  Files files;
  StringSink key_sink(&files["/d/emb-keys"]);
  StringSink value_sink(&files["/d/emb-values"]);
  int64_t count = 0;
  Status status =
      SaveKvFiles(*source, format, 16, &key_sink, &value_sink, &count);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(count, 40);
  ASSERT_EQ(files["/d/emb-values"].size(), 40u * 8);  // float32, not 6 bytes
  for (int64_t i = 0; i < 40; ++i) {
    const std::string key = files["/d/emb-keys"].substr(i * 8, 8);
    int64_t number = 0;
    std::memcpy(&number, key.data(), 8);
    EXPECT_EQ(files["/d/emb-values"].substr(i * 8, 8), FloatRow(number, -127));
  }
  auto target = Store("dst", 3);
  status = LoadKvFiles(*target, format, FieldBucketer(KeyKind::kInt64, 3, false),
                       7, "/d/emb", OpenIn(&files), nullptr, &count);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Contents(*target), stored);

  // Raw rows of a table recorded as int8 are not mistaken for int8 rows.
  auto raw = Store("raw", 1);
  Put(*raw, KeyKind::kInt64, 1, {{Int64Bytes(1), FloatRow(1, 2)}});
  status = SaveKvFiles(*raw, format, 16, &key_sink, &value_sink, &count);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
}

TEST_F(KvFilesTest, StringKeysAndRowsAreLengthPrefixed) {
  auto store = Store("s", 2);
  const KvRecordFormat format{KeyKind::kString, 0, 2};
  const std::string_view row_a[] = {"x", ""};
  std::string stored_a;
  ASSERT_TRUE(AppendStringRow(row_a, 2, &stored_a).ok());
  Put(*store, KeyKind::kString, 2, {{std::string("k\0y", 3), stored_a}});
  Files files;
  StringSink key_sink(&files["p-keys"]), value_sink(&files["p-values"]);
  int64_t count = 0;
  ASSERT_TRUE(
      SaveKvFiles(*store, format, 10, &key_sink, &value_sink, &count).ok());
  EXPECT_EQ(files["p-keys"], std::string("\3\0\0\0k\0y", 7));
  EXPECT_EQ(files["p-values"], std::string("\1\0\0\0x\0\0\0\0", 9));
  auto copy = Store("s2", 1);
  const FieldBucketer bucketer(KeyKind::kString, 1, false);
  ASSERT_TRUE(LoadKvFiles(*copy, format, bucketer, 10, "p", OpenIn(&files),
                          nullptr, &count)
                  .ok());
  EXPECT_EQ(Contents(*copy), Contents(*store));
}

TEST_F(KvFilesTest, EmptyTableSavesEmptyFilesThatLoad) {
  auto store = Store("e", 1);
  Files files;
  StringSink key_sink(&files["p-keys"]), value_sink(&files["p-values"]);
  int64_t count = -1;
  ASSERT_TRUE(SaveKvFiles(*store, kInt64Float2, 10, &key_sink, &value_sink,
                          &count)
                  .ok());
  EXPECT_EQ(count, 0);
  EXPECT_EQ(files["p-keys"], "");
  ASSERT_TRUE(LoadKvFiles(*store, kInt64Float2,
                          FieldBucketer(KeyKind::kInt64, 1, false), 10, "p",
                          OpenIn(&files), nullptr, &count)
                  .ok());
  EXPECT_EQ(count, 0);
}

// Loads the table "p" of `files` into `store`, one row per insert.
Status LoadFiles(const RedisTableStore& store, const KvRecordFormat& format,
                 const Files& files) {
  int64_t count = 0;
  return LoadKvFiles(store, format, FieldBucketer(format.key_kind, 1, false), 1,
                     "p", OpenIn(&files), nullptr, &count);
}

TEST_F(KvFilesTest, LoadChecksBothFilesBeforeInserting) {
  auto store = Store("m", 1);
  Files files = {{"p-keys", Int64Bytes(1) + Int64Bytes(2) + Int64Bytes(3)},
                 {"p-values", FloatRow(1, 1) + FloatRow(2, 2)}};
  Status status = LoadFiles(*store, kInt64Float2, files);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("p-keys holds 3 keys (24 bytes) but "
                                  "p-values holds 2 rows (16 bytes)"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(*store->Size(), 0);

  files["p-values"] += "abc";  // not a whole row
  status = LoadFiles(*store, kInt64Float2, files);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("p-values has 19 bytes, not a multiple of 8"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(*store->Size(), 0);
}

TEST_F(KvFilesTest, LoadRejectsTruncatedStringFramingBeforeInserting) {
  auto store = Store("t", 1);
  const KvRecordFormat format{KeyKind::kString, 0, 1};
  Files files = {{"p-keys", std::string("\1\0\0\0a\5\0\0\0b", 10)},
                 {"p-values", std::string("\1\0\0\0x\1\0\0\0y", 10)}};
  const Status status = LoadFiles(*store, format, files);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("p-keys ends inside record #1"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(*store->Size(), 0);
}

TEST_F(KvFilesTest, LoadReportsAMissingFile) {
  auto store = Store("n", 1);
  const Status status = LoadFiles(
      *store, kInt64Float2, {{"p-keys", Int64Bytes(1)}});
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("p-values"), std::string::npos);
}

TEST_F(KvFilesTest, SaveRejectsRowsOfAnotherDim) {
  auto store = Store("d", 1);
  Put(*store, KeyKind::kInt64, 1, {{Int64Bytes(1), FloatRow(1, 2)}});
  std::string keys, values;
  StringSink key_sink(&keys), value_sink(&values);
  int64_t count = 0;
  const KvRecordFormat dim3{KeyKind::kInt64, 12, 3};
  const Status status =
      SaveKvFiles(*store, dim3, 10, &key_sink, &value_sink, &count);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("a stored value has 8 bytes, the table's "
                                  "rows have 12"),
            std::string::npos)
      << status.message();
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra
