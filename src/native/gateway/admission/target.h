// What a client names as a flow's target, turned into something the policy can judge: a
// CONNECT authority ("host:port", RFC 9113 §8.5 and RFC 9112 §3.2.3), an IPv4 address, a
// host name to resolve, or an IPv4 prefix. Same rules as the TypeScript gateway had
// (src/shared/net/ipv4.ts, forward/target.ts): strict dotted quads only, so that "010.1.1.1"
// or "3232235521" are names (and fail to resolve), never a second spelling of an address.
#pragma once

#include <cstdint>
#include <string_view>

namespace passerelle::gateway::admission {

// A dotted quad with no leading zeros and no shorthand; the address in host order.
bool parse_ipv4(std::string_view text, uint32_t* address);

// "a.b.c.d/n" or a bare address (/32). Host bits set are an error ("198.18.0.10/24").
bool parse_ipv4_prefix(std::string_view text, uint32_t* network, uint8_t* prefix);

// A DNS name the gateway is willing to resolve: letters, digits and hyphens in labels of up
// to 63, at most 253 in all, an optional final dot.
bool is_host_name(std::string_view text);

struct Authority {
  std::string_view host;  // brackets of an IPv6 literal removed
  uint16_t port = 0;
};

// "host:port" with a port from 1 to 65535; false when malformed.
bool parse_authority(std::string_view text, Authority* out);

enum class HostKind : uint8_t { kAddress, kName, kIpv6, kInvalid };

// Classifies a target host: an IPv4 literal (address set), a name to resolve, an IPv6
// literal (not served: 403), or something that is neither (400).
HostKind classify_host(std::string_view host, uint32_t* address);

}  // namespace passerelle::gateway::admission
