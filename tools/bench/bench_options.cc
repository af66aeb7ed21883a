#include "tools/bench/bench_options.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>

namespace tfra {
namespace bench {
namespace {

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(separator, begin);
    if (end == std::string::npos) end = text.size();
    if (end > begin) parts.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

// Whole-string integer or number; false on anything else.
bool ToInt(const std::string& text, int64_t* out) {
  char* end = nullptr;
  *out = std::strtoll(text.c_str(), &end, 10);
  return !text.empty() && *end == '\0';
}

bool ToDouble(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0';
}

// "key@port,key@port" (bucket keys may hold '@': the last one splits).
std::string ParseBuckets(const std::string& text, std::vector<Bucket>* out) {
  for (const std::string& item : Split(text, ',')) {
    const size_t at = item.rfind('@');
    int64_t port = 0;
    if (at == std::string::npos || at == 0 ||
        !ToInt(item.substr(at + 1), &port) || port <= 0 || port > 65535) {
      return "bad bucket '" + item + "', expected KEY@PORT";
    }
    out->push_back(Bucket{item.substr(0, at), static_cast<int>(port)});
  }
  return "";
}

bool OneOf(const std::string& value, const std::vector<std::string>& allowed) {
  for (const std::string& a : allowed) {
    if (value == a) return true;
  }
  return false;
}

std::string ValidateTool(BenchTool tool, const BenchOptions& o) {
  const bool raw = tool == BenchTool::kRawHash;
  if (raw && o.buckets.empty()) return "--buckets is required";
  if (!raw && (o.config.empty() || o.embedding_name.empty())) {
    return "--config and --embedding_name are required";
  }
  const std::vector<std::string> ops =
      raw ? std::vector<std::string>{"hmget", "hset", "hmaccum"}
          : std::vector<std::string>{"find", "insert", "accum"};
  if (!OneOf(o.op, ops)) return "unknown --op '" + o.op + "'";
  const std::vector<std::string> strategies =
      raw ? std::vector<std::string>{"serial", "pipelined", "two_clients"}
          : std::vector<std::string>{"store"};
  for (const std::string& s : o.strategies) {
    if (!OneOf(s, strategies)) return "unknown strategy '" + s + "'";
  }
  return "";
}

std::string Validate(BenchTool tool, const BenchOptions& o) {
  if (o.keys <= 0 || o.dim <= 0 || o.batch <= 0 || o.keys_per_command <= 0 ||
      o.min_batches <= 0 || o.max_batches < o.min_batches ||
      o.warm_batches < 0 ||
      o.min_seconds < 0 || o.max_seconds < o.min_seconds) {
    return "--keys, --dim, --batch, --keys_per_command and --min_batches must "
           "be > 0, --warm_batches >= 0, --max_batches >= --min_batches, "
           "--max_seconds >= --min_seconds >= 0";
  }
  if (o.batch > o.keys) return "--batch exceeds --keys";
  if (o.value_bytes < 0) return "--value_bytes must be >= 0";
  if (o.keys > (int64_t{1} << 32)) return "--keys above 2^32";
  return ValidateTool(tool, o);
}

// Sets the flag `name`; "" or what is wrong with `value`.
std::string SetFlag(const std::string& name, const std::string& value,
                    BenchOptions* o) {
  const std::map<std::string, int64_t*> integers = {
      {"keys", &o->keys}, {"dim", &o->dim}, {"batch", &o->batch},
      {"keys_per_command", &o->keys_per_command},
      {"value_bytes", &o->value_bytes},
      {"min_batches", &o->min_batches}, {"max_batches", &o->max_batches},
      {"warm_batches", &o->warm_batches}};
  const std::map<std::string, double*> numbers = {
      {"min_seconds", &o->min_seconds}, {"max_seconds", &o->max_seconds}};
  const std::map<std::string, std::string*> texts = {
      {"host", &o->host}, {"op", &o->op}, {"config", &o->config},
      {"embedding_name", &o->embedding_name},
      {"keys_file", &o->keys_file}};
  if (integers.count(name) != 0) {
    return ToInt(value, integers.at(name)) ? "" : "not an integer";
  }
  if (numbers.count(name) != 0) {
    return ToDouble(value, numbers.at(name)) ? "" : "not a number";
  }
  if (texts.count(name) != 0) {
    *texts.at(name) = value;
    return "";
  }
  if (name == "buckets") return ParseBuckets(value, &o->buckets);
  if (name == "strategies") {
    o->strategies = Split(value, ',');
    return "";
  }
  return "unknown flag";
}

}  // namespace

std::string ParseBenchOptions(BenchTool tool, int argc, const char* const* argv,
                              BenchOptions* o) {
  o->strategies = tool == BenchTool::kRawHash
                      ? std::vector<std::string>{"serial", "pipelined",
                                                 "two_clients"}
                      : std::vector<std::string>{"store"};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      return "expected --name=value, got '" + arg + "'";
    }
    const std::string name = arg.substr(2, eq - 2);
    const std::string error = SetFlag(name, arg.substr(eq + 1), o);
    if (!error.empty()) return "--" + name + ": " + error;
  }
  return Validate(tool, *o);
}

std::string LoadBenchKeys(const BenchOptions& options,
                          std::vector<int64_t>* keys) {
  keys->resize(options.keys);
  if (options.keys_file.empty()) {
    for (int64_t k = 0; k < options.keys; ++k) (*keys)[k] = k;
    return "";
  }
  std::FILE* file = std::fopen(options.keys_file.c_str(), "rb");
  if (file == nullptr) return "cannot open --keys_file " + options.keys_file;
  const size_t read =
      std::fread(keys->data(), sizeof(int64_t), keys->size(), file);
  const bool more = std::fgetc(file) != EOF;
  std::fclose(file);
  if (read != keys->size() || more) {
    return "--keys_file must hold exactly --keys int64 keys";
  }
  return "";
}

int64_t FirstKeyOfBatch(const BenchOptions& options, int64_t index) {
  const int64_t windows = options.keys / options.batch;
  return (index % windows) * options.batch;
}

}  // namespace bench
}  // namespace tfra
