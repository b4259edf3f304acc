// Bearer tokens in authorization / proxy-authorization (RFC 6750 §2.1), and the key the
// session table uses: SHA-256 of the token. The gateway never stores a token, only its hash
// (src/gateway/auth/tokens.ts issues them: 32 random bytes, base64url, 43 characters).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace passerelle::gateway::admission {

using TokenHash = std::array<uint8_t, 32>;

// The token of "Bearer <token>" (scheme case-insensitive, whitespace around the value
// ignored), or an empty view for anything else: another scheme, parameters, a value longer
// than 4096 bytes.
std::string_view parse_bearer(std::string_view header_value);

// Whether `token` has the shape of a token the gateway issues (43 base64url characters);
// anything else cannot be in the table and is not hashed.
bool is_token_shape(std::string_view token);

// SHA-256 of the token's bytes.
TokenHash hash_token(std::string_view token);

}  // namespace passerelle::gateway::admission
