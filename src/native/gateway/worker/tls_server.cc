#include "tls_server.h"

#include <openssl/ssl.h>

namespace passerelle::gateway {

namespace {

constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr char kTls13Suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

}  // namespace

std::shared_ptr<core::TlsContext> MakeServerTls(const std::string& certificate_pem,
                                                const std::string& key_pem, int min_version,
                                                std::string* error) {
  std::unique_ptr<core::TlsContext> context =
      core::TlsContext::Server(certificate_pem, key_pem, {"h2", "http/1.1"}, error);
  if (!context) return nullptr;
  SSL_CTX* ctx = context->get();
  SSL_CTX_set_min_proto_version(ctx, min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1) {
    *error = "cannot set the cipher suites";
    return nullptr;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_COMPRESSION);
  return std::shared_ptr<core::TlsContext>(std::move(context));
}

}  // namespace passerelle::gateway
