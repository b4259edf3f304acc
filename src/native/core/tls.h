// Non-blocking TLS over a connected socket with OpenSSL 3, for both data planes: a client that
// accepts exactly the leaf certificate TypeScript verified (its SHA-256, compared in constant
// time), and a server with a certificate, a key and ALPN selection.
//
// Promises:
// - Never blocks: every call says whether it needs the socket readable or writable.
// - Write() takes bytes like SSL_write with partial writes and a moving buffer allowed: after
//   kWantWrite, call it again with the same bytes (they may have moved); the bytes it reports
//   written are in OpenSSL's hands.
// - The client role offers ALPN "h2" and TLS 1.2 at least; certificate checks are the pin's
//   (TypeScript made the trust decision with its own verifier; one implementation of it).
// - Errors come with a sentence (OpenSSL's reason, or "certificate changed").
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace passerelle::core {

enum class TlsStatus : uint8_t {
  kOk,
  kWantRead,
  kWantWrite,
  kClosed,  // the peer closed the TLS session (close_notify) or the socket
  kError,
};

class TlsContext {
 public:
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // TLS 1.2+ client offering ALPN h2; peer certificates are checked by pin (TlsConnection).
  static std::unique_ptr<TlsContext> Client(std::string* error);
  // A server with a PEM certificate chain and key, choosing the first of `alpn` (e.g. {"h2",
  // "http/1.1"}) the client offers.
  static std::unique_ptr<TlsContext> Server(const std::string& certificate_pem,
                                            const std::string& key_pem,
                                            std::vector<std::string> alpn, std::string* error);

  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
  std::vector<uint8_t> alpn_wire_;  // server: the protocols in ALPN wire format
  friend int SelectAlpn(SSL*, const unsigned char**, unsigned char*, const unsigned char*,
                        unsigned int, void*);
};

class TlsConnection {
 public:
  enum class Role : uint8_t { kClient, kServer };

  // `fd` stays the caller's (it is not closed here). For a client, `server_name` goes into SNI
  // (empty for an IP address) and `pinned_leaf_sha256` (32 bytes) is the only certificate
  // accepted.
  TlsConnection(const TlsContext& context, int fd, Role role, const std::string& server_name,
                const uint8_t* pinned_leaf_sha256);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  TlsStatus Handshake();
  bool handshake_done() const { return handshake_done_; }
  // The negotiated ALPN protocol ("" for none).
  std::string alpn() const;
  // SHA-256 of the peer's leaf certificate; false when there is none.
  bool PeerLeafSha256(uint8_t out[32]) const;

  // Reads decrypted bytes: > 0 bytes, or 0 with `status` saying why not.
  size_t Read(uint8_t* buffer, size_t length, TlsStatus* status);
  // Encrypts and sends: the bytes taken (possibly fewer than `length`), `status` kOk when all
  // were taken.
  size_t Write(const uint8_t* data, size_t length, TlsStatus* status);
  // Sends close_notify (best effort, non-blocking).
  void Shutdown();

  // Why the last kError happened.
  const std::string& error() const { return error_; }
  // True when the handshake failed because the certificate was not the pinned one.
  bool certificate_mismatch() const { return certificate_mismatch_; }

 private:
  TlsStatus Classify(int result, const char* what);

  SSL* ssl_ = nullptr;
  Role role_;
  bool handshake_done_ = false;
  bool certificate_mismatch_ = false;
  uint8_t pin_[32] = {};
  bool has_pin_ = false;
  std::string error_;
};

// Hex "AB:CD:..." of 32 bytes, as the TypeScript side shows fingerprints.
std::string FormatFingerprint(const uint8_t digest[32]);

}  // namespace passerelle::core
