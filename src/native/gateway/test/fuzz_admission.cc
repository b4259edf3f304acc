// Fuzz target: what a client names in a request: authorities, MASQUE paths, bearer values,
// prefixes. The first byte picks the parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../admission/bearer.h"
#include "../admission/masque_path.h"
#include "../admission/target.h"
#include "ipv4_text.h"

using namespace passerelle::gateway::admission;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0: {
      Authority a;
      uint32_t address;
      if (parse_authority(text, &a)) (void)classify_host(a.host, &address);
      break;
    }
    case 1:
      (void)parse_masque_path(true, text);
      break;
    case 2: {
      MasqueTarget t = parse_masque_path(false, text);
      uint32_t network;
      uint8_t prefix;
      if (t.kind == MasqueKind::kIp) (void)parse_ipv4_prefix(t.host, &network, &prefix);
      break;
    }
    case 3: {
      std::string_view token = parse_bearer(text);
      if (is_token_shape(token)) (void)hash_token(token);
      break;
    }
    default: {
      uint32_t address;
      if (parse_ipv4(text, &address)) {
        char out[16];
        (void)passerelle::core::FormatIpv4(address, out);
      }
      break;
    }
  }
  return 0;
}
