#include "ipv4_text.h"

namespace passerelle::core {

size_t FormatIpv4(uint32_t address, char* out) {
  size_t n = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    unsigned octet = (address >> shift) & 0xff;
    if (octet >= 100) out[n++] = static_cast<char>('0' + octet / 100);
    if (octet >= 10) out[n++] = static_cast<char>('0' + (octet / 10) % 10);
    out[n++] = static_cast<char>('0' + octet % 10);
    if (shift > 0) out[n++] = '.';
  }
  return n;
}

std::string Ipv4Text(uint32_t address) {
  char text[15];
  return std::string(text, FormatIpv4(address, text));
}

}  // namespace passerelle::core
