#include "tls.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

namespace passerelle::core {

namespace {

std::string OpenSslError(const char* what) {
  std::string message = what;
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    message += ": ";
    message += text;
  }
  ERR_clear_error();
  return message;
}

// Read and write buffers sized for large TLS records in a row: with read-ahead, one read()
// system call takes several records.
constexpr size_t kReadBufferLength = 64 * 1024;

}  // namespace

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
               unsigned int in_length, void* arg) {
  auto* context = static_cast<TlsContext*>(arg);
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, context->alpn_wire_.data(),
                            static_cast<unsigned int>(context->alpn_wire_.size()), in,
                            in_length) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<TlsContext> TlsContext::Client(std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    *error = OpenSslError("SSL_CTX_new");
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, kReadBufferLength);
  // OpenSSL's own chain check is off on purpose: the certificate must be the one TypeScript
  // verified (pin check after the handshake), so there is one trust decision, not two.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  static const unsigned char kH2[] = {2, 'h', '2'};
  if (SSL_CTX_set_alpn_protos(ctx, kH2, sizeof(kH2)) != 0) {
    *error = OpenSslError("SSL_CTX_set_alpn_protos");
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return std::unique_ptr<TlsContext>(new TlsContext(ctx));
}

std::unique_ptr<TlsContext> TlsContext::Server(const std::string& certificate_pem,
                                               const std::string& key_pem,
                                               std::vector<std::string> alpn, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    *error = OpenSslError("SSL_CTX_new");
    return nullptr;
  }
  std::unique_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, kReadBufferLength);
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* leaf = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf) != 1) {
    *error = OpenSslError("reading the certificate");
    X509_free(leaf);
    BIO_free(bio);
    return nullptr;
  }
  X509_free(leaf);
  // The rest of the chain, if any.
  while (X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      *error = OpenSslError("adding a chain certificate");
      BIO_free(bio);
      return nullptr;
    }
  }
  ERR_clear_error();  // the end of the PEM data
  BIO_free(bio);
  bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr || SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    *error = OpenSslError("reading the private key");
    EVP_PKEY_free(key);
    return nullptr;
  }
  EVP_PKEY_free(key);
  for (const std::string& protocol : alpn) {
    if (protocol.empty() || protocol.size() > 255) continue;
    context->alpn_wire_.push_back(static_cast<uint8_t>(protocol.size()));
    context->alpn_wire_.insert(context->alpn_wire_.end(), protocol.begin(), protocol.end());
  }
  if (!context->alpn_wire_.empty()) SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, context.get());
  return context;
}

TlsConnection::TlsConnection(const TlsContext& context, int fd, Role role,
                             const std::string& server_name, const uint8_t* pinned_leaf_sha256)
    : role_(role) {
  ssl_ = SSL_new(context.get());
  if (ssl_ == nullptr) {
    error_ = OpenSslError("SSL_new");
    return;
  }
  SSL_set_fd(ssl_, fd);
  if (role == Role::kClient) {
    SSL_set_connect_state(ssl_);
    if (!server_name.empty()) SSL_set_tlsext_host_name(ssl_, server_name.c_str());
    if (pinned_leaf_sha256 != nullptr) {
      std::memcpy(pin_, pinned_leaf_sha256, sizeof(pin_));
      has_pin_ = true;
    }
  } else {
    SSL_set_accept_state(ssl_);
  }
}

TlsConnection::~TlsConnection() { SSL_free(ssl_); }

TlsStatus TlsConnection::Classify(int result, const char* what) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return TlsStatus::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return TlsStatus::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return TlsStatus::kClosed;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        // EOF without close_notify, or a socket error.
        error_ = errno != 0 ? std::string(what) + ": " + std::strerror(errno)
                            : std::string(what) + ": the connection closed";
        return errno != 0 ? TlsStatus::kError : TlsStatus::kClosed;
      }
      error_ = OpenSslError(what);
      return TlsStatus::kError;
    default:
      error_ = OpenSslError(what);
      return TlsStatus::kError;
  }
}

TlsStatus TlsConnection::Handshake() {
  if (ssl_ == nullptr) return TlsStatus::kError;
  if (handshake_done_) return TlsStatus::kOk;
  ERR_clear_error();
  errno = 0;
  const int result = SSL_do_handshake(ssl_);
  if (result != 1) return Classify(result, "TLS handshake");
  if (role_ == Role::kClient && has_pin_) {
    uint8_t digest[32];
    if (!PeerLeafSha256(digest)) {
      error_ = "the gateway sent no certificate";
      certificate_mismatch_ = true;
      return TlsStatus::kError;
    }
    if (CRYPTO_memcmp(digest, pin_, sizeof(pin_)) != 0) {
      error_ = "the gateway's certificate changed (sha256 " + FormatFingerprint(digest) +
               ") since it was verified";
      certificate_mismatch_ = true;
      return TlsStatus::kError;
    }
  }
  handshake_done_ = true;
  return TlsStatus::kOk;
}

std::string TlsConnection::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  return data ? std::string(reinterpret_cast<const char*>(data), length) : std::string();
}

bool TlsConnection::PeerLeafSha256(uint8_t out[32]) const {
  X509* leaf = SSL_get1_peer_certificate(ssl_);
  if (leaf == nullptr) return false;
  unsigned int length = 0;
  const bool ok = X509_digest(leaf, EVP_sha256(), out, &length) == 1 && length == 32;
  X509_free(leaf);
  return ok;
}

size_t TlsConnection::Read(uint8_t* buffer, size_t length, TlsStatus* status) {
  ERR_clear_error();
  errno = 0;
  size_t got = 0;
  const int result = SSL_read_ex(ssl_, buffer, length, &got);
  if (result == 1) {
    *status = TlsStatus::kOk;
    return got;
  }
  *status = Classify(result, "TLS read");
  return 0;
}

size_t TlsConnection::Write(const uint8_t* data, size_t length, TlsStatus* status) {
  // With partial writes on, SSL_write returns after each record: loop until the socket is full.
  size_t total = 0;
  while (total < length) {
    ERR_clear_error();
    errno = 0;
    size_t written = 0;
    const int result = SSL_write_ex(ssl_, data + total, length - total, &written);
    if (result != 1) {
      *status = Classify(result, "TLS write");
      return total;
    }
    total += written;
  }
  *status = TlsStatus::kOk;
  return total;
}

void TlsConnection::Shutdown() {
  if (ssl_ == nullptr || !handshake_done_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string FormatFingerprint(const uint8_t digest[32]) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string text;
  for (int i = 0; i < 32; i++) {
    if (i > 0) text += ':';
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 15];
  }
  return text;
}

}  // namespace passerelle::core
