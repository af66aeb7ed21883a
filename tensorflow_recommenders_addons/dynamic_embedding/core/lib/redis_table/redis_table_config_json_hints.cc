#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config_json_hints.h"

#include <cstdio>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config_json.h"

namespace tfra {
namespace redis_table {
namespace json_hints {
namespace {

constexpr char kNoComments[] = "comments are not allowed in JSON";

std::string Lower(std::string_view word) {
  std::string lower(word);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

}  // namespace

std::string Shown(char c) {
  const unsigned char byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7f) return std::string("'") + c + "'";
  char text[16];
  std::snprintf(text, sizeof(text), "byte 0x%02X", byte);
  return text;
}

std::string NotAValue(char c) {
  switch (c) {
    case '\'':
      return "single quotes: JSON strings need double quotes";
    case '/':
    case '#':
      return kNoComments;
    case ',':
    case '}':
    case ']':
      return std::string("a value is missing before '") + c + "'";
    case '.':
    case '+':
      return std::string("a JSON number cannot start with '") + c + "'";
    default:
      return "expected a value, not " + Shown(c);
  }
}

std::string NotALiteral(std::string_view word) {
  if (word == "true" || word == "false" || word == "null") return "";
  const std::string lower = Lower(word);
  if (word == "True" || word == "False" || word == "None") {
    return std::string(word) + " is Python, not JSON: use " +
           (word == "None" ? "null" : lower);
  }
  if (lower == "true" || lower == "false" || lower == "null") {
    return std::string(word) + " is not JSON: use " + lower;
  }
  return "unquoted text " + QuoteForMessage(word) +
         ": JSON strings need double quotes";
}

std::string NotAKey(std::string_view rest) {
  const char c = rest.front();
  if (c == '\'') return "single quotes: JSON keys need double quotes";
  if (c == '/' || c == '#') return kNoComments;
  if (c == ',') return "a key is missing before ','";
  if (IsLetter(c)) {
    size_t end = 0;
    while (end < rest.size() && IsWordByte(rest[end])) ++end;
    return "the key " + QuoteForMessage(rest.substr(0, end)) +
           " needs double quotes";
  }
  return "expected a key in double quotes or '}', not " + Shown(c);
}

}  // namespace json_hints
}  // namespace redis_table
}  // namespace tfra
