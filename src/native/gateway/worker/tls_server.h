// The gateway's TLS server context, on top of the core's (core/tls.h): ALPN h2 then
// http/1.1; TLS 1.2 minimum (or 1.3 when configured); with TLS 1.2 only ECDHE key exchange
// with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), never CBC or CCM8 (issue #8); no
// renegotiation (a client could make the server redo handshakes on demand).
#pragma once

#include <memory>
#include <string>

#include "tls.h"

namespace passerelle::gateway {

// `min_version` is 12 or 13. Null with `*error` when the certificate or key is unusable.
std::shared_ptr<core::TlsContext> MakeServerTls(const std::string& certificate_pem,
                                                const std::string& key_pem, int min_version,
                                                std::string* error);

}  // namespace passerelle::gateway
