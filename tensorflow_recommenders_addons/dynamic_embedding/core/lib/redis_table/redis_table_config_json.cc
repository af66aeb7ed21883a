#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config_json.h"

#include <cstdio>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config_json_hints.h"

namespace tfra {
namespace redis_table {
namespace {

using json_hints::IsDigit;
using json_hints::IsLetter;
using json_hints::IsWordByte;
using json_hints::Shown;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// What the next byte may be.
enum class Expect {
  kValue,          // after ':' or at the top
  kValueOrClose,   // after '[' or ',' in an array (trailing commas pass)
  kKeyOrClose,     // after '{' or ',' in an object (trailing commas pass)
  kColon,          // after a key
  kCommaOrClose,   // after a value inside a container
  kNothing,        // after the top-level value
};

// An open object or array.
struct Frame {
  bool object = false;
  size_t opened_at = 0;
  std::string_view key;  // the last key read (raw text), objects only
  size_t index = 0;      // the current element, arrays only
};

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::optional<JsonSyntaxError> Run() {
    if (text_.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
      pos_ = kByteOrderMark.size();  // json-parser skips it too
    }
    Expect expect = Expect::kValue;
    while (!error_) {
      while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
      if (pos_ == text_.size()) {
        if (expect != Expect::kNothing) FailAtEnd(expect);
        break;
      }
      if (text_[pos_] == '\0') {
        const bool after = expect == Expect::kNothing;
        Fail(pos_, after ? "a NUL byte after the end of the JSON document"
                         : "a NUL byte",
             expect, after);
        break;
      }
      expect = Step(expect);
    }
    return error_;
  }

 private:
  // Consumes what may come at pos_ in state `expect`; the next state.
  Expect Step(Expect expect) {
    const char c = text_[pos_];
    switch (expect) {
      case Expect::kValueOrClose:
        if (c == ']') return Close();
        return Value(expect);
      case Expect::kValue:
        return Value(expect);
      case Expect::kKeyOrClose:
        if (c == '}') return Close();
        if (c != '"') return BadKey(c);
        frames_.back().key = String(expect);
        return Expect::kColon;
      case Expect::kColon:
        if (c == ':') {
          ++pos_;
          return Expect::kValue;
        }
        Fail(pos_, c == '=' ? "use ':' between a key and its value, not '='"
                            : "expected ':' after the key, not " + Shown(c),
             expect);
        return expect;
      case Expect::kCommaOrClose:
        return CommaOrClose(c);
      case Expect::kNothing:
        Fail(pos_, Shown(c) + " after the end of the JSON document", expect);
        return expect;
    }
    return expect;
  }

  Expect AfterValue() const {
    return frames_.empty() ? Expect::kNothing : Expect::kCommaOrClose;
  }

  Expect Close() {
    ++pos_;
    frames_.pop_back();
    return AfterValue();
  }

  Expect Value(Expect expect) {
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      frames_.push_back(Frame{c == '{', pos_});
      ++pos_;
      return c == '{' ? Expect::kKeyOrClose : Expect::kValueOrClose;
    }
    if (c == '"') {
      String(expect);
    } else if (c == '-' || IsDigit(c)) {
      Number(expect);
    } else if (IsLetter(c)) {
      Word(expect);
    } else {
      Fail(pos_, json_hints::NotAValue(c), expect);
    }
    return AfterValue();
  }

  // At '"': the raw text between the quotes (escapes not decoded).
  std::string_view String(Expect expect) {
    const size_t start = pos_++;
    while (pos_ < text_.size() && !error_) {
      const char c = text_[pos_];
      if (c == '"') return text_.substr(start + 1, pos_++ - start - 1);
      if (c == '\0') {
        Fail(pos_, "a NUL byte inside a string (write \\u0000)", expect);
      } else if (c != '\\') {
        ++pos_;
      } else if (pos_ + 1 < text_.size() && text_[pos_ + 1] == 'u') {
        UnicodeEscape(expect);
      } else if (pos_ + 1 < text_.size() && text_[pos_ + 1] != '\0') {
        pos_ += 2;  // \n, \", and also \x: json-parser keeps the x
      } else {
        ++pos_;  // a NUL or the end comes next
      }
    }
    if (!error_) Fail(start, "this string is never closed", expect);
    return {};
  }

  // At "\u": four hex digits, and a surrogate half needs a second escape.
  void UnicodeEscape(Expect expect) {
    const size_t start = pos_;
    unsigned code = 0;
    if (!HexDigits(pos_ + 2, &code)) {
      Fail(start, "\\u needs four hex digits", expect);
      return;
    }
    pos_ += 6;
    if (code < 0xD800 || code > 0xDFFF) return;
    unsigned second = 0;
    if (text_.substr(pos_, 2) != "\\u" || !HexDigits(pos_ + 2, &second)) {
      Fail(start,
           "\\u" + std::string(text_.substr(start + 2, 4)) +
               " is half of a UTF-16 surrogate pair; the other half must "
               "follow as \\uXXXX",
           expect);
      return;
    }
    pos_ += 6;
  }

  bool HexDigits(size_t at, unsigned* code) const {
    if (at + 4 > text_.size()) return false;
    *code = 0;
    for (size_t i = at; i < at + 4; ++i) {
      if (!IsHex(text_[i])) return false;
      const char c = text_[i];
      *code = *code * 16 + (IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return true;
  }

  void Number(Expect expect) {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ == text_.size() || !IsDigit(text_[pos_])) {
      // json-parser reads a "-" without digits as 0 when a delimiter
      // follows, and as -0.0 before an exponent ("-e5").
      const char next = pos_ == text_.size() ? '\0' : text_[pos_];
      const bool guessed = next == '\0' || IsSpace(next) || next == ',' ||
                           next == ']' || next == '}' || next == 'e' ||
                           next == 'E';
      Fail(start, "a digit must follow '-'", expect, guessed);
      return;
    }
    if (text_[pos_] == '0' && pos_ + 1 < text_.size() &&
        IsDigit(text_[pos_ + 1])) {
      Fail(start, "JSON numbers have no leading zeros", expect);
      return;
    }
    Digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!Digits()) Fail(pos_ - 1, "a digit must follow '.'", expect);
    }
    if (!error_ && pos_ < text_.size() &&
        (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      const size_t exponent = pos_++;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        ++pos_;
      }
      if (!Digits()) Fail(exponent, "a digit must follow the exponent", expect);
    }
  }

  bool Digits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    return pos_ > start;
  }

  void Word(Expect expect) {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsWordByte(text_[pos_])) ++pos_;
    const std::string message =
        json_hints::NotALiteral(text_.substr(start, pos_ - start));
    if (!message.empty()) Fail(start, message, expect);
  }

  Expect BadKey(char c) {
    Fail(pos_,
         c == ']' ? "']' cannot close the object opened at " +
                        Position(frames_.back().opened_at)
                  : json_hints::NotAKey(text_.substr(pos_)),
         Expect::kKeyOrClose);
    return Expect::kKeyOrClose;
  }

  Expect CommaOrClose(char c) {
    Frame& frame = frames_.back();
    const char close = frame.object ? '}' : ']';
    if (c == close) return Close();
    if (c == ',') {
      ++pos_;
      if (frame.object) return Expect::kKeyOrClose;
      ++frame.index;
      return Expect::kValueOrClose;
    }
    std::string message = std::string("expected ',' or '") + close +
                          "', not " + Shown(c);
    if (c == '}' || c == ']') {
      message = std::string("'") + c + "' cannot close the " +
                (frame.object ? "object" : "array") + " opened at " +
                Position(frame.opened_at);
    } else if (c == '/' || c == '#') {
      message = json_hints::NotAValue(c);
    } else if (IsSpace(text_[pos_ - 1]) &&
               (c == '"' || c == '{' || c == '[' || c == '-' || IsDigit(c) ||
                IsLetter(c))) {  // a next value, not the tail of this one
      message = frame.object && c == '"' ? "a ',' is missing before this key"
                                         : "a ',' is missing before this";
    }
    Fail(pos_, message, Expect::kCommaOrClose);
    return Expect::kCommaOrClose;
  }

  void FailAtEnd(Expect expect) {
    if (frames_.empty()) {
      Fail(pos_, "the config is empty", expect);
      return;
    }
    const Frame& frame = frames_.back();
    std::string message = std::string("the text ends inside the ") +
                           (frame.object ? "object" : "array") +
                           " opened at " + Position(frame.opened_at);
    if (expect == Expect::kColon) message += ", after a key";
    if (expect == Expect::kValue) message += ", where a value should be";
    Fail(pos_, message, expect);
  }

  // "in the value of redis_host_port[1]" and the like.
  std::string Where(Expect expect) const {
    std::string path;
    for (size_t i = 0; i < frames_.size(); ++i) {
      const Frame& frame = frames_[i];
      if (frame.object && !frame.key.empty()) {
        bool plain = true;
        for (char c : frame.key) plain = plain && IsWordByte(c);
        path += (i > 0 ? "." : "") +
                (plain ? std::string(frame.key) : QuoteForMessage(frame.key));
      } else if (!frame.object) {
        path += "[" + std::to_string(frame.index) + "]";
      }
    }
    if (path.empty()) return "";
    switch (expect) {
      case Expect::kValue:
      case Expect::kValueOrClose:
        return "in the value of " + path;
      case Expect::kColon:
        return "after the key " + path;
      default:
        return "after the value of " + path;
    }
  }

  std::string Position(size_t offset) const {
    JsonSyntaxError at;
    Locate(offset, &at);
    return "line " + std::to_string(at.line) + ", column " +
           std::to_string(at.column);
  }

  void Locate(size_t offset, JsonSyntaxError* at) const {
    size_t line_start = 0;
    at->line = 1;
    for (size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++at->line;
        line_start = i + 1;
      }
    }
    // Editors do not show the byte order mark.
    const bool bom = line_start == 0 &&
                     text_.substr(0, kByteOrderMark.size()) == kByteOrderMark;
    const size_t skipped = bom && offset >= kByteOrderMark.size()
                               ? kByteOrderMark.size()
                               : 0;
    at->column = static_cast<int>(offset - line_start - skipped + 1);
  }

  void Fail(size_t offset, std::string message, Expect expect,
            bool stricter = false) {
    if (error_) return;
    error_.emplace();
    error_->offset = offset;
    Locate(offset, &*error_);
    error_->where = Where(expect);
    error_->message = std::move(message);
    error_->stricter_than_json_parser = stricter;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<Frame> frames_;
  std::optional<JsonSyntaxError> error_;
};

}  // namespace

std::string JsonSyntaxError::ToString() const {
  return "line " + std::to_string(line) + ", column " +
         std::to_string(column) + (where.empty() ? "" : ", " + where) + ": " +
         message;
}

std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text) {
  return Scanner(text).Run();
}

std::string QuoteForMessage(std::string_view text, size_t max_bytes) {
  std::string quoted = "\"";
  for (size_t i = 0; i < text.size() && i < max_bytes; ++i) {
    const unsigned char byte = static_cast<unsigned char>(text[i]);
    if (byte == '"' || byte == '\\') {
      quoted += '\\';
      quoted += static_cast<char>(byte);
    } else if (byte >= 0x20 && byte < 0x7f) {
      quoted += static_cast<char>(byte);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02X", byte);
      quoted += hex;
    }
  }
  if (text.size() > max_bytes) quoted += "...";
  return quoted + "\"";
}

}  // namespace redis_table
}  // namespace tfra
