#include "checksum.h"

#include <cstring>

namespace passerelle::core {

namespace {

// Swaps the two bytes of a folded 16-bit sum.
inline uint32_t Swap16(uint32_t v) { return ((v & 0xff) << 8) | ((v >> 8) & 0xff); }

}  // namespace

uint16_t OnesComplementSum(const uint8_t* data, size_t length, uint32_t initial) {
  // Adds 32-bit words in host order into a 64-bit accumulator. RFC 1071 §2: the sum does not
  // depend on byte order except for a final swap, and since 2^16 ≡ 1 (mod 0xffff) a 32-bit
  // word adds its two 16-bit halves. 2^32 words would be needed to overflow: no packet comes
  // near that.
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    uint32_t word;
    std::memcpy(&word, data + i, 4);
    sum += word;
  }
  if (i + 2 <= length) {
    uint16_t half;
    std::memcpy(&half, data + i, 2);
    sum += half;
    i += 2;
  }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // A trailing byte is the high byte of a zero-padded big-endian word: in host (little-endian)
  // order it is the low byte.
  if (i < length) sum += data[i];
#else
  if (i < length) sum += static_cast<uint32_t>(data[i]) << 8;
#endif
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffffffu) + (sum >> 32);
  uint32_t folded = FoldSum(static_cast<uint32_t>(sum));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  folded = Swap16(folded);
#endif
  return FoldSum(folded + initial);
}

}  // namespace passerelle::core
