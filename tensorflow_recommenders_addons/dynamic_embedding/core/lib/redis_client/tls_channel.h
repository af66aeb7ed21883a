// TLS on a connection's socket (TlsOptions), with OpenSSL 3. The socket is
// connected by hiredis as for plain TCP; TlsChannel then runs the handshake
// on it and Connection reads and writes through it instead of read(2) and
// write(2), so everything above the connection is unchanged.
//
// OpenSSL is linked into the op library statically, and the library is
// linked with --exclude-libs,ALL: its OpenSSL symbols are local, bound at
// link time, and never meet the BoringSSL symbols that TensorFlow's
// libtensorflow_framework.so.2 exports under the same names (SSL_new, ...).
// tls_symbols_test checks the op library exports none of them.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TLS_CHANNEL_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TLS_CHANNEL_H_

#include <cstddef>
#include <memory>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

struct ssl_st;      // OpenSSL's SSL
struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace tfra {
namespace redis_client {

// Not thread-safe: used by its one Connection.
class TlsChannel {
 public:
  // Runs the TLS handshake on the connected blocking socket `fd` (its
  // SO_RCVTIMEO/SO_SNDTIMEO bound it) and verifies the server's certificate
  // chain (options.ca_file, else the system's CAs) and name
  // (options.server_name, else `endpoint.host`: an IP address is checked as
  // one). Presents options.cert_file/key_file when set. A failed
  // verification or handshake is kAuth (fix the set-up), naming the cause.
  static Result<std::unique_ptr<TlsChannel>> Connect(int fd,
                                                     const Endpoint& endpoint,
                                                     const TlsOptions& options);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Writes some of `data` (> 0 bytes) or fails: kTimeout when the socket's
  // send timeout expired, kIo or kClosed otherwise (the message is the
  // cause only). Never raises SIGPIPE.
  Result<size_t> Write(const char* data, size_t size);
  // Reads up to `size` bytes (> 0), 0 when the server closed the session,
  // or fails as Write does.
  Result<size_t> Read(char* buffer, size_t size);

 private:
  TlsChannel(ssl_ctx_st* context, ssl_st* session);
  // The error of an SSL_* call that returned `result`.
  Status Failure(int result) const;

  ssl_ctx_st* context_;
  ssl_st* session_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TLS_CHANNEL_H_
