#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/config_path.h"

#include <json-parser/json.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

namespace fs = std::filesystem;

constexpr char kCasesPath[] =
    "tensorflow_recommenders_addons/dynamic_embedding/python/kernel_tests/"
    "testdata/config_path_cases.json";

// The shared cases file: under Bazel in the runfiles tree, otherwise relative
// to the repository root (the working directory of a hand-built test).
std::string CasesFile() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    const std::string path =
        std::string(srcdir) + "/" + workspace + "/" + kCasesPath;
    if (fs::exists(path)) return path;
  }
  return kCasesPath;
}

// A fresh directory, removed with its content at scope exit.
class TempDir {
 public:
  // Under TEST_TMPDIR by default; `short_path` uses /tmp, for Unix socket
  // paths (at most 107 bytes, which Bazel's TEST_TMPDIR can exceed).
  explicit TempDir(bool short_path = false) {
    const char* base = short_path ? nullptr : std::getenv("TEST_TMPDIR");
    std::string pattern =
        std::string(base != nullptr ? base : "/tmp") + "/config_path_XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct JsonDeleter {
  void operator()(json_value* value) const { json_value_free(value); }
};

const json_value& Member(const json_value& object, std::string_view name) {
  static const json_value kMissing;
  for (const json_object_entry& entry : object.u.object) {
    if (std::string_view(entry.name, entry.name_length) == name) {
      return *entry.value;
    }
  }
  return kMissing;
}

std::string Text(const json_value& value) {
  EXPECT_EQ(value.type, json_string);
  if (value.type != json_string) return "";
  return std::string(value.u.string.ptr, value.u.string.length);
}

std::string Substitute(std::string text, const std::string& tmp) {
  const std::string token = "${TMP}";
  for (size_t at = text.find(token); at != std::string::npos;
       at = text.find(token, at + tmp.size())) {
    text.replace(at, token.size(), tmp);
  }
  return text;
}

// Runs one case of the shared file.
void RunCase(const json_value& test_case) {
  const std::string name = Text(Member(test_case, "name"));
  SCOPED_TRACE("case " + name);
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  for (const json_value* dir : Member(test_case, "dirs").u.array) {
    fs::create_directories(tmp.path() + "/" + Text(*dir));
  }
  for (const json_value* file : Member(test_case, "files").u.array) {
    std::ofstream(tmp.path() + "/" + Text(*file)) << "{}";
  }
  std::map<std::string, std::string> env;
  for (const json_object_entry& entry : Member(test_case, "env").u.object) {
    env[std::string(entry.name, entry.name_length)] =
        Substitute(Text(*entry.value), tmp.path());
  }
  const GetEnvFunction getenv_fn = [&env](const char* var) -> const char* {
    const auto it = env.find(var);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  const json_value& attrs = Member(test_case, "attrs");
  const Result<ConfigPathChoice> result = ResolveConfigPath(
      Text(Member(attrs, "redis_config_abs_dir_env")),
      Substitute(Text(Member(attrs, "redis_config_abs_dir")), tmp.path()),
      getenv_fn);

  const json_value& expect = Member(test_case, "expect");
  if (Member(expect, "error").type == json_none) {
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->path, Substitute(Text(Member(expect, "path")),
                                       tmp.path()));
    EXPECT_STREQ(ConfigPathSourceName(result->source),
                 Text(Member(expect, "source")).c_str());
    return;
  }
  ASSERT_FALSE(result.ok()) << "chose " << result->path;
  EXPECT_EQ(StatusCodeName(result.status().code()),
            Text(Member(expect, "error")));
  for (const json_value* part : Member(expect, "message_contains").u.array) {
    const std::string wanted = Substitute(Text(*part), tmp.path());
    EXPECT_NE(result.status().message().find(wanted), std::string::npos)
        << "missing \"" << wanted << "\" in: " << result.status().message();
  }
}

TEST(ConfigPathCasesTest, EverySharedCasePasses) {
  std::ifstream file(CasesFile(), std::ios::binary);
  ASSERT_TRUE(file.is_open()) << "cannot open " << CasesFile();
  const std::string text((std::istreambuf_iterator<char>(file)),
                         std::istreambuf_iterator<char>());
  json_settings settings = {};
  char error[json_error_max] = {0};
  const std::unique_ptr<json_value, JsonDeleter> root(
      json_parse_ex(&settings, text.data(), text.size(), error));
  ASSERT_NE(root, nullptr) << error;
  const json_value& cases = Member(*root, "cases");
  ASSERT_EQ(cases.type, json_array);
  ASSERT_GE(cases.u.array.length, 15u);  // a truncated file must not pass
  std::set<std::string> names;
  for (const json_value* test_case : cases.u.array) {
    EXPECT_TRUE(names.insert(Text(Member(*test_case, "name"))).second);
    RunCase(*test_case);
  }
}

TEST(ConfigPathTest, ProcessEnvironmentReadsGetenv) {
  ASSERT_EQ(::setenv("TFRA_CONFIG_PATH_TEST_VAR", "value", 1), 0);
  const GetEnvFunction env = ProcessEnvironment();
  EXPECT_STREQ(env("TFRA_CONFIG_PATH_TEST_VAR"), "value");
  ::unsetenv("TFRA_CONFIG_PATH_TEST_VAR");
  EXPECT_EQ(env("TFRA_CONFIG_PATH_TEST_VAR"), nullptr);
}

TEST(ConfigPathTest, SourceDescriptionNamesTheVariable) {
  TempDir tmp;
  const std::string path = tmp.path() + "/a.json";
  std::ofstream(path) << "{}";
  const GetEnvFunction env = [&](const char* var) -> const char* {
    return std::string(var) == "CFG" ? path.c_str() : nullptr;
  };
  const Result<ConfigPathChoice> choice = ResolveConfigPath("CFG", "", env);
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  EXPECT_EQ(choice->source, ConfigPathSource::kAttrEnvVar);
  EXPECT_EQ(choice->source_description,
            "environment variable CFG (named by attr "
            "redis_config_abs_dir_env)");
}

TEST(ReadConfigFileTest, ReadsTheWholeFileBinarySafe) {
  TempDir tmp;
  const std::string path = tmp.path() + "/c.json";
  const std::string content("{\"a\": \"\0x\"}\n", 12);
  std::ofstream(path, std::ios::binary) << content;
  const Result<std::string> read = ReadConfigFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, content);
}

TEST(ReadConfigFileTest, ErrorsNameThePath) {
  TempDir tmp;
  const Result<std::string> missing = ReadConfigFile(tmp.path() + "/no.json");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/no.json"), std::string::npos);

  EXPECT_EQ(ReadConfigFile(tmp.path()).status().code(),
            StatusCode::kFailedPrecondition);

  const std::string empty = tmp.path() + "/empty.json";
  std::ofstream(empty).close();
  const Result<std::string> empty_read = ReadConfigFile(empty);
  EXPECT_EQ(empty_read.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty_read.status().message().find("is empty"), std::string::npos);
}

TEST(ReadConfigFileTest, UnopenableFileIsFailedPrecondition) {
  // A bound Unix socket exists and is no directory, but open() fails
  // (ENXIO) even for root, unlike a permission-denied file.
  TempDir tmp(/*short_path=*/true);
  const std::string path = tmp.path() + "/socket.json";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(address.sun_path));
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  const Result<std::string> read = ReadConfigFile(path);
  ::close(fd);
  EXPECT_EQ(read.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(read.status().message().find("socket.json"), std::string::npos);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra
