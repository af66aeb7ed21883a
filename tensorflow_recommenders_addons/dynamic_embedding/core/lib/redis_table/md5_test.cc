#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/md5.h"

#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

// "abcd...zabc..." of the given length: crosses block boundaries at will.
std::string Alphabet(int length) {
  std::string text;
  for (int i = 0; i < length; ++i) {
    text.push_back(static_cast<char>('a' + i % 26));
  }
  return text;
}

TEST(Md5Test, Rfc1321TestSuite) {
  // RFC 1321, appendix A.5.
  EXPECT_EQ(Md5Hex(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex(Md5("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Md5Hex(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Md5Hex(Md5("message digest")),
            "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Md5Hex(Md5("abcdefghijklmnopqrstuvwxyz")),
            "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Md5Hex(Md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Md5Hex(Md5("1234567890123456789012345678901234567890123456789012"
                       "3456789012345678901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5Test, StandardOfPrefixName) {
  EXPECT_EQ(Md5Hex(Md5("test:emb")), "8da9d5be3b9a32714cf34368e1f1a2b2");
}

TEST(Md5Test, StandardPaddingBoundaries) {
  // 55 bytes fit one block with the length; 56 need a second block.
  EXPECT_EQ(Md5Hex(Md5(std::string(55, 'a'))),
            "ef1772b6dff9a122358552954ad0df65");
  EXPECT_EQ(Md5Hex(Md5(std::string(56, 'a'))),
            "3b0c8ac703f828b04c6c197006d17218");
  EXPECT_EQ(Md5Hex(Md5(std::string(64, 'a'))),
            "014842d480b571495a4a0363793f7367");
}

TEST(Md5Test, TfraLegacyVectorsFromSpec) {
  EXPECT_EQ(Md5Hex(TfraLegacyMd5("test:emb")),
            "de616a84e6038a7e305799743012152c");
  EXPECT_EQ(Md5Hex(TfraLegacyMd5("")), "e4c23762ed2823a27e62a64b95c024e7");
}

TEST(Md5Test, TfraLegacyDiffersFromStandard) {
  for (const std::string text : {"", "a", "test:emb", "test:user_emb"}) {
    EXPECT_NE(Md5Hex(TfraLegacyMd5(text)), Md5Hex(Md5(text))) << text;
  }
}

// Multi-block inputs exercise the upper 32 state bits carried between blocks.
// Expected values come from the RSA reference code compiled with a 64-bit
// `unsigned long` word, independently of this implementation.
TEST(Md5Test, TfraLegacyMultiBlockVectors) {
  EXPECT_EQ(Md5Hex(TfraLegacyMd5("abc")), "7999dc75e8da648c6727e137c5b77803");
  EXPECT_EQ(Md5Hex(TfraLegacyMd5(Alphabet(55))),
            "df4dfa4e78c6f940d4549fee15dee276");
  EXPECT_EQ(Md5Hex(TfraLegacyMd5(Alphabet(56))),
            "d3759b99f539a5ac3b9d4bb7faeedef9");
  EXPECT_EQ(Md5Hex(TfraLegacyMd5(Alphabet(64))),
            "ca9de6b49f94d70645c805f1e98ccf14");
  EXPECT_EQ(Md5Hex(TfraLegacyMd5(Alphabet(65))),
            "613549237cb154d94d4274046a1c2ec8");
  EXPECT_EQ(Md5Hex(TfraLegacyMd5(Alphabet(120))),
            "8a2d1fe1245a62c09d45ca4a4884b849");
  EXPECT_EQ(Md5Hex(TfraLegacyMd5(Alphabet(1000))),
            "91d3bda44d50e55ff694d27adfaaa8e6");
}

TEST(Md5Test, BinaryInputIsHashedByLength) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(Md5(with_nul), Md5("a"));
  EXPECT_NE(TfraLegacyMd5(with_nul), TfraLegacyMd5("a"));
}

TEST(Md5Test, HexIsLowerCaseAndFullLength) {
  Md5Digest digest{};
  digest[0] = 0xAB;
  digest[15] = 0x01;
  EXPECT_EQ(Md5Hex(digest), "ab000000000000000000000000000001");
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra
