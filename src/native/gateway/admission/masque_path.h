// The :path of an extended CONNECT (RFC 9298 §2 connect-udp, RFC 9484 §4.6 connect-ip) with
// the default well-known URI templates, as docs/protocol.md gives them:
//   /.well-known/masque/udp/{host}/{port}/      /.well-known/masque/ip/{target}/{ipproto}/
// The trailing slash is optional and a query is ignored. Untrusted input; fuzzed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace passerelle::gateway::admission {

enum class MasqueKind : uint8_t { kUdp, kIp, kInvalid };

struct MasqueTarget {
  MasqueKind kind = MasqueKind::kInvalid;
  std::string host;  // udp: the host (percent-decoded); ip: the target ("*" or a prefix)
  uint16_t port = 0;  // udp
  int ipproto = -1;  // ip: 0-255, or -1 for "*"
  const char* reason = "";  // kInvalid: why, for the 400's proxy-status details
};

// `is_udp` is the :protocol (connect-udp, else connect-ip); a path of the other kind is
// invalid.
MasqueTarget parse_masque_path(bool is_udp, std::string_view path);

// RFC 3986 percent-decoding into `out`; false on a "%" not followed by two hex digits or a
// result that is not UTF-8 (what JavaScript's decodeURIComponent refuses).
bool percent_decode(std::string_view text, std::string* out);

}  // namespace passerelle::gateway::admission
