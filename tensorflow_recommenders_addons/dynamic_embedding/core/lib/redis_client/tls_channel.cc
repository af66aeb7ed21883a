#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/tls_channel.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <cstring>

namespace tfra {
namespace redis_client {
namespace {

// OpenSSL's queued error texts, oldest first, and the queue cleared.
std::string TakeOpenSslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

bool IsIpAddress(const std::string& host) {
  unsigned char address[16];
  return inet_pton(AF_INET, host.c_str(), address) == 1 ||
         inet_pton(AF_INET6, host.c_str(), address) == 1;
}

Status SetUpError(const Endpoint& endpoint, const std::string& what) {
  return Status(ErrorCode::kAuth,
                endpoint.ToString() + ": TLS set-up: " + what + " (" +
                    TakeOpenSslErrors() + ")");
}

// Loads the CAs and the client certificate into `context`.
Status Configure(ssl_ctx_st* context, const Endpoint& endpoint,
                 const TlsOptions& options) {
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  const int cas =
      options.ca_file.empty()
          ? SSL_CTX_set_default_verify_paths(context)
          : SSL_CTX_load_verify_locations(context, options.ca_file.c_str(),
                                          nullptr);
  if (cas != 1) {
    return SetUpError(endpoint, "cannot load CA certificates from " +
                                    (options.ca_file.empty()
                                         ? std::string("the system paths")
                                         : options.ca_file));
  }
  if (options.cert_file.empty()) return Status::Ok();
  if (SSL_CTX_use_certificate_chain_file(context, options.cert_file.c_str()) !=
          1 ||
      SSL_CTX_use_PrivateKey_file(context, options.key_file.c_str(),
                                  SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(context) != 1) {
    return SetUpError(endpoint, "cannot use client certificate " +
                                    options.cert_file + " with key " +
                                    options.key_file);
  }
  return Status::Ok();
}

// Names the server certificate must carry, and SNI for a host name.
Status ExpectName(ssl_st* session, const Endpoint& endpoint,
                  const TlsOptions& options) {
  const std::string& name =
      options.server_name.empty() ? endpoint.host : options.server_name;
  const bool ok =
      IsIpAddress(name)
          ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(session),
                                          name.c_str()) == 1
          : SSL_set1_host(session, name.c_str()) == 1 &&
                SSL_set_tlsext_host_name(session, name.c_str()) == 1;
  return ok ? Status::Ok()
            : SetUpError(endpoint, "cannot expect server name " + name);
}

// SSL_write writes to the socket with write(2), which raises SIGPIPE when
// the server has gone; a process that keeps the default action (a C++
// server) would die of it. The signal is blocked in this thread for the
// call, and one it raised is taken before unblocking.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlocked() {
    if (!was_pending_) {
      const struct timespec now = {0, 0};
      const int saved_errno = errno;
      while (sigtimedwait(&pipe_, nullptr, &now) == SIGPIPE) {
      }
      errno = saved_errno;
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

}  // namespace

Result<std::unique_ptr<TlsChannel>> TlsChannel::Connect(
    int fd, const Endpoint& endpoint, const TlsOptions& options) {
  ERR_clear_error();
  ssl_ctx_st* context = SSL_CTX_new(TLS_client_method());
  if (context == nullptr) return SetUpError(endpoint, "SSL_CTX_new failed");
  // A session takes the context's settings when it is made: configure first.
  Status configured = Configure(context, endpoint, options);
  if (!configured.ok()) {
    SSL_CTX_free(context);
    return configured;
  }
  ssl_st* session = SSL_new(context);
  if (session == nullptr) {
    SSL_CTX_free(context);
    return SetUpError(endpoint, "SSL_new failed");
  }
  std::unique_ptr<TlsChannel> channel(new TlsChannel(context, session));
  TFRA_REDIS_RETURN_IF_ERROR(ExpectName(session, endpoint, options));
  if (SSL_set_fd(session, fd) != 1) {
    return SetUpError(endpoint, "SSL_set_fd failed");
  }
  int result = 0;
  {
    SigpipeBlocked blocked;
    result = SSL_connect(session);
  }
  if (result == 1) return channel;
  const long verified = SSL_get_verify_result(session);
  if (verified != X509_V_OK) {
    TakeOpenSslErrors();
    return Status(ErrorCode::kAuth,
                  endpoint.ToString() +
                      ": TLS handshake: server certificate not accepted: " +
                      X509_verify_cert_error_string(verified));
  }
  const Status failure = channel->Failure(result);
  // A server that is no TLS server, or refuses ours, will not change its
  // mind: a set-up error, unless the socket timed out or closed.
  const ErrorCode code =
      failure.code() == ErrorCode::kIo ? ErrorCode::kAuth : failure.code();
  return Status(code, endpoint.ToString() + ": TLS handshake: " +
                          failure.message());
}

TlsChannel::TlsChannel(ssl_ctx_st* context, ssl_st* session)
    : context_(context), session_(session) {}

TlsChannel::~TlsChannel() {
  // No close_notify: the connection is being dropped, not ended politely.
  SSL_free(session_);
  SSL_CTX_free(context_);
}

Status TlsChannel::Failure(int result) const {
  const int saved_errno = errno;
  const int error = SSL_get_error(session_, result);
  const std::string queued = TakeOpenSslErrors();
  switch (error) {
    case SSL_ERROR_ZERO_RETURN:
      return Status(ErrorCode::kClosed, "server closed the TLS session");
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return Status(ErrorCode::kTimeout, std::strerror(EAGAIN));
    case SSL_ERROR_SYSCALL:
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) {
        return Status(ErrorCode::kTimeout, std::strerror(saved_errno));
      }
      if (saved_errno == 0) {
        return Status(ErrorCode::kClosed, "server closed the connection");
      }
      return Status(ErrorCode::kIo, std::strerror(saved_errno));
    default:
      return Status(ErrorCode::kIo, queued.empty() ? "TLS error" : queued);
  }
}

Result<size_t> TlsChannel::Write(const char* data, size_t size) {
  ERR_clear_error();
  errno = 0;
  int written = 0;
  {
    SigpipeBlocked blocked;
    written = SSL_write(session_, data, static_cast<int>(size));
  }
  if (written > 0) return static_cast<size_t>(written);
  return Failure(written);
}

Result<size_t> TlsChannel::Read(char* buffer, size_t size) {
  ERR_clear_error();
  errno = 0;
  int read = 0;
  {
    SigpipeBlocked blocked;  // TLS 1.3 may write while reading (key update)
    read = SSL_read(session_, buffer, static_cast<int>(size));
  }
  if (read > 0) return static_cast<size_t>(read);
  Status failure = Failure(read);
  if (failure.code() == ErrorCode::kClosed) return size_t{0};
  return failure;
}

}  // namespace redis_client
}  // namespace tfra
