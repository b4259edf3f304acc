#include "target.h"

#include <cstddef>

namespace passerelle::gateway::admission {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

bool parse_ipv4(std::string_view text, uint32_t* address) {
  uint32_t value = 0;
  size_t pos = 0;
  for (int part = 0; part < 4; part++) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return false;
      pos++;
    }
    size_t start = pos;
    unsigned octet = 0;
    while (pos < text.size() && is_digit(text[pos]) && pos - start < 3) {
      octet = octet * 10 + static_cast<unsigned>(text[pos] - '0');
      pos++;
    }
    size_t digits = pos - start;
    if (digits == 0 || octet > 255) return false;
    if (digits > 1 && text[start] == '0') return false;  // no leading zeros
    value = (value << 8) | octet;
  }
  if (pos != text.size()) return false;
  *address = value;
  return true;
}

bool parse_ipv4_prefix(std::string_view text, uint32_t* network, uint8_t* prefix) {
  size_t slash = text.find('/');
  std::string_view address_text = slash == std::string_view::npos ? text : text.substr(0, slash);
  unsigned length = 32;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 2) return false;
    length = 0;
    for (char c : digits) {
      if (!is_digit(c)) return false;
      length = length * 10 + static_cast<unsigned>(c - '0');
    }
    if (length > 32) return false;
  }
  uint32_t address;
  if (!parse_ipv4(address_text, &address)) return false;
  uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  if ((address & mask) != address) return false;
  *network = address;
  *prefix = static_cast<uint8_t>(length);
  return true;
}

bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (label == 0 ? !is_alnum(c) : !(is_alnum(c) || c == '-')) return false;
    if (++label > 63) return false;
  }
  return true;  // a final dot leaves label == 0, which is allowed
}

bool parse_authority(std::string_view text, Authority* out) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5) return false;
  unsigned port = 0;
  for (char c : port_text) {
    if (!is_digit(c)) return false;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port < 1 || port > 65535) return false;
  if (host.front() == '[') {
    // "[v6]": at least one character inside and no bracket in it.
    if (host.size() < 3 || host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
    if (host.find_first_of("[]") != std::string_view::npos) return false;
  } else if (host.find_first_of(":[]") != std::string_view::npos) {
    return false;
  }
  out->host = host;
  out->port = static_cast<uint16_t>(port);
  return true;
}

HostKind classify_host(std::string_view host, uint32_t* address) {
  if (parse_ipv4(host, address)) return HostKind::kAddress;
  if (host.find(':') != std::string_view::npos) return HostKind::kIpv6;
  if (is_host_name(host)) return HostKind::kName;
  return HostKind::kInvalid;
}


}  // namespace passerelle::gateway::admission
