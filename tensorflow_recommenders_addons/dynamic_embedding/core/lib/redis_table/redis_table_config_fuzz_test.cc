// Mutation fuzzing of the config parser and validator, and the syntax
// scanner against json-parser on every short text. Seeds: every key at
// its default and at another value (from the field table), a few realistic
// configs and the shared config-path cases file; each case applies one to
// three random mutations (bytes, tokens, values, keys, cuts, splices) to a
// corpus entry, and accepted cases join the corpus. For every case:
//   - no crash (run_tests.sh also runs this under AddressSanitizer);
//   - the status is OK or InvalidArgument;
//   - a rejection's message is printable ASCII and names a config key, a line
//     and column, or the top level; warnings are printable too;
//   - the syntax scanner rejects every text json-parser rejects, and rejects
//     texts json-parser accepts only where it says it is stricter;
//   - an accepted config passes ValidateRedisTableConfig again.
// TFRA_CONFIG_FUZZ_CASES (default 100000, 10000 under ThreadSanitizer) and
// TFRA_CONFIG_FUZZ_SEED choose the run; the counts are printed.
#include <json-parser/json.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config_json.h"

namespace tfra {
namespace redis_table {
namespace {

#if defined(__SANITIZE_THREAD__)
// One thread: ThreadSanitizer has nothing to find and runs it 5-15x slower.
constexpr uint64_t kDefaultCases = 10000;
#else
constexpr uint64_t kDefaultCases = 100000;
#endif
constexpr uint64_t kDefaultSeed = 15;
constexpr size_t kMaxBytes = 1 << 14;   // longer mutants are cut
constexpr size_t kMaxCorpus = 512;
constexpr char kCasesPath[] =  // relative to the runfiles root Bazel runs in
    "tensorflow_recommenders_addons/dynamic_embedding/python/kernel_tests/"
    "testdata/config_path_cases.json";

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10)
                                          : fallback;
}

// A value of the field's type other than its default.
std::string SampleValue(const ConfigField& field) {
  const std::string_view type = field.json_type();
  if (type == "boolean") return "true";
  if (type == "string") return "\"v1\"";
  if (type == "string array") return "[\"{1}\"]";
  if (type == "integer array") return "[7000]";
  return "1";
}

std::string ConfigOf(bool defaults) {
  std::string json = "{\n";
  for (const ConfigField& field : ConfigFields()) {
    if (json.size() > 2) json += ",\n";
    json += "  \"" + std::string(field.name) +
            "\": " + (defaults ? field.default_text() : SampleValue(field));
  }
  return json + "\n}\n";
}

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds = {
      ConfigOf(true), ConfigOf(false), "{}",
      R"({"redis_connection_mode": 2, "redis_host_ip": ["127.0.0.1"],
          "redis_host_port": [6379], "storage_slice": 4})",
      R"({"redis_connection_mode": 0, "redis_host_ip": ["a", "b", "c"],
          "redis_host_port": [7000, 7001, 7002], "storage_slice": 2,
          "redis_hash_tags_runtime": ["{3560}", "{8209}"],
          "using_hash_storage_slice": true, "model_tag_runtime": "v2"})",
      R"({"redis_connection_mode": 1, "redis_master_name": "mymaster",
          "redis_password": "p\u00e9\"q", "redis_sentinel_password": "s",
          "expire_model_tag_in_seconds": -1, "table_store_mode": 0})",
  };
  std::ifstream cases(kCasesPath, std::ios::binary);
  std::stringstream text;
  text << cases.rdbuf();
  EXPECT_FALSE(text.str().empty()) << "cannot read " << kCasesPath;
  seeds.push_back(text.str());
  return seeds;
}

const std::vector<std::string>& Tokens() {
  static const std::vector<std::string> kTokens = {
      "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud83d", "\\udc00",
      "\\u00e9", "\\x", "-", "0", "01", "1e", "1.", ".5", "+1", "1e999",
      "True", "False", "None", "true", "false", "null", "nul", "'", "//",
      "/*", "#", std::string(1, '\0'), "\xEF\xBB\xBF", "\n", "\r\n", "\t",
      " ", "=", "\x80", "\xFF", "\x01", "\"storage_slice\"", "\"redis_db\":",
      "\"redis_host_port\": [", "[[[[[[[[", "]]]]]]]]",
  };
  return kTokens;
}

const std::vector<std::string>& Values() {
  static const std::vector<std::string> kValues = {
      "-1", "0", "1", "16384", "16385", "2147483647", "2147483648",
      "-2147483649", "9223372036854775807", "9223372036854775808",
      "-9223372036854775809", "1e999", "-", "1.0", "-0", "\"\"", "\"x\"",
      "\"{}\"", "\"1}2\"", "\"{abc}\"", "[]", "{}", "[1,2,3]", "[\"a\",\"b\"]",
      "[\"\"]", "[0]", "[65536]", "[6379,]", "null", "true", "false", "False",
      "\"\\u0000\"", "\"\\ud83d\\ude00\"", "\"a\\x\"", "[[[[[[[[[[]]]]]]]]]]",
      std::string(1000, '[') + std::string(1000, ']'),
  };
  return kValues;
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }

  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }

  std::string Mutate(std::string text, const std::vector<std::string>& corpus) {
    for (size_t n = 1 + Below(3); n > 0; --n) {
      MutateOnce(&text, corpus);
      if (text.size() > kMaxBytes) text.resize(kMaxBytes);
    }
    return text;
  }

 private:
  void MutateOnce(std::string* text, const std::vector<std::string>& corpus) {
    const size_t at = Below(text->size() + 1);
    switch (Below(11)) {
      case 0:
        if (!text->empty()) (*text)[Below(text->size())] = Byte();
        break;
      case 1:
        text->insert(at, Pick(Tokens()));
        break;
      case 2:
        text->erase(at, 1 + Below(16));
        break;
      case 3: {  // duplicate a piece somewhere else
        const std::string piece = text->substr(Below(text->size() + 1),
                                               1 + Below(64));
        text->insert(Below(text->size() + 1), piece);
        break;
      }
      case 4:
      case 9:  // twice as likely: mutants that stay JSON reach the validator
        ReplaceValue(text);
        break;
      case 5:
      case 10:
        ReplaceKey(text);
        break;
      case 6:
        text->resize(at);
        break;
      case 7: {  // splice: this text's head, another's tail
        const std::string& other = Pick(corpus);
        *text = text->substr(0, at) + other.substr(Below(other.size() + 1));
        break;
      }
      default:  // 8
        text->insert(at, std::string(1 + Below(4), Byte()));
    }
  }

  char Byte() { return static_cast<char>(Below(256)); }

  // The value after a random ':' becomes one from Values().
  void ReplaceValue(std::string* text) {
    const size_t colon = text->find(':', Below(text->size() + 1));
    if (colon == std::string::npos) return;
    size_t end = colon + 1;
    int depth = 0;
    bool quoted = false;
    for (; end < text->size(); ++end) {
      const char c = (*text)[end];
      if (quoted) {
        if (c == '\\') ++end;
        if (c == '"') quoted = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if ((c == ']' || c == '}') && depth-- == 0) {
        break;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    end = std::min(end, text->size());
    text->replace(colon + 1, end - colon - 1, " " + Pick(Values()));
  }

  // The key before a random '":' becomes a known key or a slip of one.
  void ReplaceKey(std::string* text) {
    const size_t close = text->find("\":", Below(text->size() + 1));
    if (close == std::string::npos || close == 0) return;
    const size_t open = text->rfind('"', close - 1);
    if (open == std::string::npos) return;
    std::string key(Pick(ConfigFields()).name);
    switch (Below(4)) {
      case 0:
        key.erase(Below(key.size()), 1);
        break;
      case 1: {
        const size_t i = Below(key.size() - 1);
        std::swap(key[i], key[i + 1]);
        break;
      }
      case 2:
        key[Below(key.size())] = static_cast<char>('A' + Below(26));
        break;
      default:
        break;  // the key itself
    }
    text->replace(open + 1, close - open - 1, key);
  }

  std::mt19937_64 rng_;
};

bool Printable(const std::string& text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return !text.empty();
}

bool NamesKeyOrPlace(const std::string& message) {
  if (message.find("line ") != std::string::npos &&
      message.find(", column ") != std::string::npos) {
    return true;
  }
  if (message.find("top level") != std::string::npos) return true;
  for (const ConfigField& field : ConfigFields()) {
    if (message.find(field.name) != std::string::npos) return true;
  }
  return false;
}

// Whether the syntax scanner and json-parser agree on `text`: the scanner
// rejects all json-parser rejects, and more only where it says so.
std::string CompareWithJsonParser(const std::string& text,
                                  std::optional<JsonSyntaxError>* syntax) {
  json_settings settings;
  std::memset(&settings, 0, sizeof(settings));
  char error[json_error_max] = {0};
  json_value* value = json_parse_ex(&settings, text.data(), text.size(), error);
  const bool json_parser_accepts = value != nullptr;
  json_value_free(value);
  *syntax = FindJsonSyntaxError(text);
  if (!json_parser_accepts && !*syntax) {
    return std::string("json-parser rejects (") + error +
           ") what the scanner accepts";
  }
  if (json_parser_accepts && *syntax &&
      !(*syntax)->stricter_than_json_parser) {
    return "json-parser accepts what the scanner rejects: " +
           (*syntax)->ToString();
  }
  return "";
}

struct Counts {
  uint64_t accepted = 0, rejected = 0, syntax = 0, stricter = 0, bytes = 0;
};

// What is wrong with how `text` was handled; empty when all is well.
std::string Check(const std::string& text, Counts* counts) {
  std::optional<JsonSyntaxError> syntax;
  const std::string disagreement = CompareWithJsonParser(text, &syntax);
  if (!disagreement.empty()) return disagreement;
  if (syntax && (syntax->offset > text.size() || syntax->line < 1 ||
                 syntax->column < 1 || syntax->message.empty())) {
    return "bad syntax error position: " + syntax->ToString();
  }
  counts->bytes += text.size();
  counts->syntax += syntax.has_value();
  counts->stricter += syntax && syntax->stricter_than_json_parser;

  RedisTableConfig config;
  std::vector<std::string> warnings;
  const Status status = ParseRedisTableConfig(text, &config, &warnings);
  for (const std::string& warning : warnings) {
    if (!Printable(warning)) return "unprintable warning: " + warning;
  }
  if (status.ok()) {
    ++counts->accepted;
    const Status again = ValidateRedisTableConfig(config, nullptr);
    return again.ok() ? "" : "accepted, then invalid: " + again.ToString();
  }
  ++counts->rejected;
  if (status.code() != StatusCode::kInvalidArgument) {
    return "not InvalidArgument: " + status.ToString();
  }
  if (!Printable(status.message())) {
    return "unprintable message: " + status.message();
  }
  if (!NamesKeyOrPlace(status.message())) {
    return "message names no key or place: " + status.message();
  }
  return "";
}

TEST(RedisTableConfigFuzzTest, MutantsNeverCrashAndEveryRejectionSaysWhere) {
  const uint64_t cases = EnvNumber("TFRA_CONFIG_FUZZ_CASES", kDefaultCases);
  const uint64_t seed = EnvNumber("TFRA_CONFIG_FUZZ_SEED", kDefaultSeed);
  std::vector<std::string> corpus = Seeds();
  const size_t seeds = corpus.size();
  Mutator mutator(seed);
  Counts counts;
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& text : std::vector<std::string>(corpus)) {
    ASSERT_EQ(Check(text, &counts), "") << QuoteForMessage(text, 4096);
  }
  for (uint64_t i = 0; i < cases; ++i) {
    // Half the cases start from a seed, so the corpus cannot drift away
    // from configs that reach the validator.
    const std::string& base = corpus[mutator.Below(
        mutator.Below(2) == 0 ? seeds : corpus.size())];
    const std::string text = mutator.Mutate(base, corpus);
    const uint64_t accepted = counts.accepted;
    const std::string problem = Check(text, &counts);
    ASSERT_EQ(problem, "") << "case " << i << " of seed " << seed << ": "
                           << QuoteForMessage(text, 4096);
    if (counts.accepted == accepted) continue;
    if (corpus.size() < kMaxCorpus) {
      corpus.push_back(text);
    } else {
      corpus[seeds + mutator.Below(kMaxCorpus - seeds)] = text;
    }
  }
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  std::cout << "config fuzz: " << cases << " mutated configs (seed " << seed
            << ", " << counts.bytes / (cases + seeds) << " bytes on average) in "
            << seconds << " s: " << counts.accepted
            << " accepted, " << counts.rejected << " rejected ("
            << counts.syntax << " as malformed JSON, " << counts.stricter
            << " of them only by our stricter rules)" << std::endl;
  EXPECT_GT(counts.accepted, cases / 100) << "mutants rarely stay valid";
  EXPECT_GT(counts.rejected - counts.syntax, cases / 100)
      << "mutants rarely reach the validator";
}

TEST(RedisTableConfigFuzzTest, ScannerAgreesWithJsonParserOnEveryShortText) {
  // Every text of up to 5 bytes over the bytes that matter to the grammar:
  // about 580k texts, the corners random mutation may miss.
  const std::string alphabet("[]{}\"\\-0e:, u\0", 14);
  for (size_t length = 1; length <= 5; ++length) {
    std::vector<size_t> digits(length, 0);
    std::string text(length, ' ');
    for (bool more = true; more;) {
      for (size_t i = 0; i < length; ++i) text[i] = alphabet[digits[i]];
      std::optional<JsonSyntaxError> syntax;
      ASSERT_EQ(CompareWithJsonParser(text, &syntax), "")
          << QuoteForMessage(text);
      more = false;
      for (size_t i = length; i-- > 0 && !more;) {
        more = ++digits[i] < alphabet.size();
        if (!more) digits[i] = 0;
      }
    }
  }
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra
