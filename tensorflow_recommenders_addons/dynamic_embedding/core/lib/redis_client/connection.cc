#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_metrics.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/element_reader.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/tls_channel.h"

namespace tfra {
namespace redis_client {
namespace {

struct timeval ToTimeval(std::chrono::milliseconds ms) {
  struct timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// hiredis reports a blocking-socket timeout as an I/O error whose errno is
// EAGAIN (read/write) or ETIMEDOUT (connect).
ErrorCode CodeOf(int hiredis_err, int saved_errno) {
  switch (hiredis_err) {
    case REDIS_ERR_EOF:
      return ErrorCode::kClosed;
    case REDIS_ERR_PROTOCOL:
      return ErrorCode::kProtocol;
    case REDIS_ERR_IO:
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
          saved_errno == ETIMEDOUT || saved_errno == EINPROGRESS) {
        return ErrorCode::kTimeout;
      }
      return ErrorCode::kIo;
    default:
      return ErrorCode::kIo;
  }
}

// Buffered output is written once it passes this size; a buffer grown past
// the second size (one huge command) is released after the write.
constexpr size_t kOutputFlushBytes = size_t{1} << 20;
constexpr size_t kMaxKeptOutputBytes = size_t{4} << 20;
// Replies are read from the socket in slices of up to this size. hiredis'
// own reads take 16 KB, so a 1 MB lookup reply (1,024 rows of dim 256) cost
// 65 read() calls; 64 KB slices take 17 (strace). Measured with store_bench
// on one host, 1k-key finds got 4-9% faster at dims 8-256; 256 KB slices
// were slower at dim 64 (the bigger copy leaves the cache).
constexpr size_t kReadBytes = size_t{64} << 10;
// hiredis frees its input buffer whenever it is drained and holds more than
// `maxbuf` bytes; its default (16 KB) made every slice a fresh allocation of
// twice the slice (six times the page faults with 256 KB slices). Keeping a
// buffer of two slices avoids that, at up to 128 KB per connection.
constexpr size_t kKeptInputBytes = 2 * kReadBytes;

// Decimal digits of `value`.
size_t DigitCount(size_t value) {
  size_t digits = 1;
  for (; value >= 10000; value /= 10000) digits += 4;
  return digits + (value >= 10) + (value >= 100) + (value >= 1000);
}

// Writes `prefix`, the decimal `value` (`digits` long) and CRLF at `at`;
// returns the end.
char* PutHeader(char* at, char prefix, size_t value, size_t digits) {
  *at = prefix;
  for (size_t i = digits; i > 0; --i, value /= 10) {
    at[i] = static_cast<char>('0' + value % 10);
  }
  at[digits + 1] = '\r';
  at[digits + 2] = '\n';
  return at + digits + 3;
}

// `command` in RESP, the wire format hiredis' redisFormatCommandArgv writes:
// an array header, then each argument as a bulk string. The exact size is
// summed first, so `out` grows at most once and every byte is written in
// place. Appending to a std::string piece by piece (in gathered blocks,
// to_chars per header) cost a table's 1k-key accum 551 instructions per
// key at dim 64 inside RedisTableStore::Accum, against 340 now (callgrind,
// store_bench; dim 8 373 -> 311, dim 256 661 -> 446).
void AppendWireFormat(const Command& command, WriteBuffer* out) {
  const size_t args = command.size();
  size_t bytes = 3 + DigitCount(args);
  for (size_t i = 0; i < args; ++i) {
    const size_t size = command.arg(i).size();
    bytes += 5 + DigitCount(size) + size;
  }
  char* at = out->Extend(bytes);
  at = PutHeader(at, '*', args, DigitCount(args));
  for (size_t i = 0; i < args; ++i) {
    const std::string_view arg = command.arg(i);
    at = PutHeader(at, '$', arg.size(), DigitCount(arg.size()));
    if (!arg.empty()) std::memcpy(at, arg.data(), arg.size());
    at += arg.size();
    at[0] = '\r';
    at[1] = '\n';
    at += 2;
  }
}

bool UsesAclUser(const std::string& user) {
  return !user.empty() && user != "default";
}

}  // namespace

void Connection::ContextDeleter::operator()(redisContext* context) const {
  redisFree(context);
}

Connection::Connection(const Endpoint& endpoint, redisContext* context)
    : endpoint_(endpoint),
      context_(context),
      created_at_(std::chrono::steady_clock::now()) {}

Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::Open(
    const Endpoint& endpoint, const ConnectionOptions& options, bool readonly) {
  errno = 0;
  redisContext* raw =
      options.connect_timeout.count() > 0
          ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port,
                                    ToTimeval(options.connect_timeout))
          : redisConnect(endpoint.host.c_str(), endpoint.port);
  const int saved_errno = errno;
  if (raw == nullptr) {
    return Status(ErrorCode::kIo,
                  endpoint.ToString() + ": connect: out of memory");
  }
  std::unique_ptr<Connection> connection(new Connection(endpoint, raw));
  if (raw->err != 0) return connection->TransportError("connect", saved_errno);
  raw->reader->maxbuf = kKeptInputBytes;
  // Always set: a zero timeval restores "wait forever" explicitly.
  if (redisSetTimeout(raw, ToTimeval(options.socket_timeout)) != REDIS_OK) {
    return connection->TransportError("set socket timeout", errno);
  }
  if (options.keep_alive && redisEnableKeepAlive(raw) != REDIS_OK) {
    return connection->TransportError("enable keep-alive", errno);
  }
  if (options.tls.enabled) {
    Result<std::unique_ptr<TlsChannel>> tls =
        TlsChannel::Connect(raw->fd, endpoint, options.tls);
    if (!tls.ok()) {
      connection->MarkBroken();
      return tls.status();
    }
    connection->tls_ = std::move(tls).value();
  }
  TFRA_REDIS_RETURN_IF_ERROR(connection->Handshake(options, readonly));
  ClientMetrics::Get().connections_opened->Add();
  return connection;
}

// Sends the setup commands as one pipeline (one round trip).
Status Connection::Handshake(const ConnectionOptions& options, bool readonly) {
  std::vector<Command> setup;
  if (UsesAclUser(options.user)) {
    setup.push_back(Command{"AUTH", options.user, options.password});
  } else if (!options.password.empty()) {
    setup.push_back(Command{"AUTH", options.password});
  }
  const bool sends_auth = !setup.empty();
  const std::string db = std::to_string(options.db);
  if (options.db != 0) setup.push_back(Command{"SELECT", db});
  if (readonly) setup.push_back(Command{"READONLY"});
  for (const Command& command : setup)
    TFRA_REDIS_RETURN_IF_ERROR(Append(command));
  Status first_error;
  for (size_t i = 0; i < setup.size(); ++i) {
    Result<Reply> reply = ReadReply();
    if (!reply.ok()) return reply.status();
    Status status = reply->ToStatus();
    if (!status.ok() && first_error.ok()) {
      // Whatever the server objects to in AUTH, the fix is the credentials.
      first_error =
          i == 0 && sends_auth
              ? Status(ErrorCode::kAuth, endpoint_.ToString() +
                                             ": AUTH as user '" + options.user +
                                             "' failed: " + status.message())
              : status.WithContext(endpoint_.ToString() + ": " +
                                   DescribeCommand(setup[i]));
    }
  }
  if (!first_error.ok()) MarkBroken();
  return first_error;
}

Result<CommandSupport> Connection::SupportOf(std::string_view name) {
  for (const auto& [known, support] : known_commands_) {
    if (known == name) return support;
  }
  Result<Reply> reply = Run(CommandInfo(name));
  if (!reply.ok()) return reply.status();
  Result<CommandSupport> support = ParseCommandInfo(*reply);
  if (!support.ok()) {
    return support.status().WithContext(endpoint_.ToString() +
                                        ": COMMAND INFO");
  }
  known_commands_.emplace_back(std::string(name), *support);
  return support;
}

Status Connection::TransportError(const char* action, int saved_errno) {
  const redisContext* context = context_.get();
  return Fail(CodeOf(context->err, saved_errno), action,
              context->errstr[0] != '\0' ? context->errstr : "unknown error");
}

Status Connection::RefuseIfBroken() const {
  if (!broken_) return Status::Ok();
  return Status(ErrorCode::kClosed, endpoint_.ToString() +
                                        ": connection is broken by an "
                                        "earlier error");
}

Status Connection::Append(const Command& command) {
  TFRA_REDIS_RETURN_IF_ERROR(RefuseIfBroken());
  if (command.empty()) {
    return Status(ErrorCode::kInvalidArgument, "empty command");
  }
  AppendWireFormat(command, &out_);
  pending_kinds_.push_back(WriteKindOf(command));
  ClientMetrics::Get().commands->Add();
  return out_.size() >= kOutputFlushBytes ? Flush() : Status::Ok();
}

Status Connection::Flush() {
  TFRA_REDIS_RETURN_IF_ERROR(RefuseIfBroken());
  size_t written = 0;
  while (written < out_.size()) {
    Result<size_t> n =
        WriteSome(out_.data() + written, out_.size() - written);
    if (!n.ok()) {
      return Fail(n.status().code(), "write", n.status().message().c_str());
    }
    written += *n;
  }
  ClientMetrics::Get().bytes_sent->Add(static_cast<int64_t>(written));
  out_.Clear(kMaxKeptOutputBytes);
  return Status::Ok();
}

Result<Reply> Connection::ReadReply(const ElementTarget& elements) {
  TFRA_REDIS_RETURN_IF_ERROR(Flush());  // refuses a broken connection
  // The previous reply was read whole, so the parser is between replies.
  const ScopedElementStreaming streaming(context_->reader, elements);
  void* raw = nullptr;
  while (true) {
    if (redisReaderGetReply(context_->reader, &raw) != REDIS_OK) {
      return Fail(ErrorCode::kProtocol, "read reply", context_->reader->errstr);
    }
    if (raw != nullptr) break;
    TFRA_REDIS_RETURN_IF_ERROR(FeedReader());
  }
  Reply reply(static_cast<redisReply*>(raw));
  if (!pending_kinds_.empty()) {
    wrote_ = wrote_ || MayHaveWritten(pending_kinds_.front(), reply.view());
    pending_kinds_.pop_front();
  }
  return reply;
}

Status Connection::FeedReader() {
  // redisReaderFeed copies the bytes, so one slice per thread serves every
  // connection that thread reads from.
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBytes]);
  Result<size_t> n = ReadSome(buffer.get(), kReadBytes);
  if (!n.ok()) {
    return Fail(n.status().code(), "read reply", n.status().message().c_str());
  }
  if (*n == 0) {
    return Fail(ErrorCode::kClosed, "read reply",
                "server closed the connection");
  }
  ClientMetrics::Get().bytes_received->Add(static_cast<int64_t>(*n));
  if (redisReaderFeed(context_->reader, buffer.get(), *n) != REDIS_OK) {
    return Fail(ErrorCode::kProtocol, "read reply", context_->reader->errstr);
  }
  return Status::Ok();
}

// The socket is blocking with SO_SNDTIMEO and SO_RCVTIMEO (redisSetTimeout),
// so a call that cannot finish in time fails with EAGAIN: kTimeout.
Result<size_t> Connection::WriteSome(const char* data, size_t size) {
  if (tls_ != nullptr) return tls_->Write(data, size);
  while (true) {
    // send(MSG_NOSIGNAL): a server gone must not raise SIGPIPE, which kills
    // a process that keeps its default action (a C++ server).
    const ssize_t n = ::send(context_->fd, data, size, MSG_NOSIGNAL);
    if (n > 0) return static_cast<size_t>(n);
    if (n < 0 && errno == EINTR) continue;
    const int saved_errno = n < 0 ? errno : EIO;
    return Status(CodeOf(REDIS_ERR_IO, saved_errno), std::strerror(saved_errno));
  }
}

Result<size_t> Connection::ReadSome(char* buffer, size_t size) {
  if (tls_ != nullptr) return tls_->Read(buffer, size);
  while (true) {
    const ssize_t n = ::read(context_->fd, buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    const int saved_errno = errno;
    return Status(CodeOf(REDIS_ERR_IO, saved_errno), std::strerror(saved_errno));
  }
}

Status Connection::Fail(ErrorCode code, const char* action,
                        const char* detail) {
  MarkBroken();
  broken_by_ = code;
  ClientMetrics::Get().errors(code)->Add();
  return Status(code, endpoint_.ToString() + ": " + action + ": " + detail);
}

Result<Reply> Connection::Run(const Command& command) {
  TFRA_REDIS_RETURN_IF_ERROR(Append(command));
  return ReadReply();
}

}  // namespace redis_client
}  // namespace tfra
