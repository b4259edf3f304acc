#include "bearer.h"

#include <openssl/sha.h>

namespace passerelle::gateway::admission {

namespace {

constexpr size_t kMaxAuthorizationLength = 4096;
constexpr size_t kTokenLength = 43;

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 7235 token68 characters before the padding.
bool is_token68_char(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

}  // namespace

std::string_view parse_bearer(std::string_view value) {
  if (value.size() > kMaxAuthorizationLength) return {};
  while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
  static constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); i++) {
    if (lower(value[i]) != kScheme[i]) return {};
  }
  size_t pos = kScheme.size();
  if (value[pos] != ' ') return {};
  while (pos < value.size() && value[pos] == ' ') pos++;
  size_t start = pos;
  while (pos < value.size() && is_token68_char(value[pos])) pos++;
  if (pos == start) return {};
  while (pos < value.size() && value[pos] == '=') pos++;
  if (pos != value.size()) return {};
  return value.substr(start);
}

bool is_token_shape(std::string_view token) {
  if (token.size() != kTokenLength) return false;
  for (char c : token) {
    if (!is_alnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

TokenHash hash_token(std::string_view token) {
  TokenHash hash;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), hash.data());
  return hash;
}

}  // namespace passerelle::gateway::admission
