// The Internet checksum (RFC 1071) and its incremental update (RFC 1624), for every header the
// data planes read, rewrite or build.
//
// Promises: pure functions, no allocation, any alignment, any length (an odd last byte is padded
// with zero). Sums are ones'-complement sums folded to 16 bits, in network byte order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace passerelle::core {

// Ones'-complement sum of `data[0, length)` read as big-endian 16-bit words, added to `initial`
// (a folded sum, e.g. a pseudo-header's). Folded to 16 bits, not complemented.
uint16_t OnesComplementSum(const uint8_t* data, size_t length, uint32_t initial = 0);

// The value to store in a checksum field: ~sum. Over bytes that already hold a correct checksum
// the sum is 0xffff, which is how IsChecksumValid checks.
inline uint16_t InternetChecksum(const uint8_t* data, size_t length, uint32_t initial = 0) {
  return static_cast<uint16_t>(~OnesComplementSum(data, length, initial));
}

inline bool IsChecksumValid(const uint8_t* data, size_t length, uint32_t initial = 0) {
  return OnesComplementSum(data, length, initial) == 0xffff;
}

// Folds a 32-bit sum of 16-bit words into 16 bits with end-around carry.
inline uint16_t FoldSum(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Sum of the IPv4 pseudo-header that TCP and UDP checksums cover (addresses in host order).
inline uint16_t PseudoHeaderSum(uint32_t source, uint32_t destination, uint8_t protocol,
                                uint16_t length) {
  return FoldSum((source >> 16) + (source & 0xffff) + (destination >> 16) +
                 (destination & 0xffff) + protocol + length);
}

// The term that one field changing from `before` to `after` adds to a checksum delta
// (~m + m', RFC 1624 eq. 3). Deltas of several fields add up; apply them once.
inline uint32_t ChecksumDelta32(uint32_t before, uint32_t after) {
  return (~(before >> 16) & 0xffff) + (~before & 0xffff) + (after >> 16) + (after & 0xffff);
}
inline uint32_t ChecksumDelta16(uint16_t before, uint16_t after) {
  return (~before & 0xffffu) + after;
}

// A stored (complemented) checksum after the covered data changed by `delta`:
// HC' = ~(~HC + delta). Never turns a correct checksum into 0xffff's "minus zero" form.
inline uint16_t ApplyChecksumDelta(uint16_t checksum, uint32_t delta) {
  return static_cast<uint16_t>(~FoldSum((~checksum & 0xffffu) + delta));
}

// A partial checksum (Linux CHECKSUM_PARTIAL, what a TUN with checksum offload hands over and
// takes back): the field holds the folded pseudo-header sum, not complemented, and the rest is
// summed by whoever finishes it. A change of an address in the pseudo-header adds to it.
inline uint16_t ApplyPartialChecksumDelta(uint16_t partial, uint32_t delta) {
  return FoldSum(partial + delta);
}

}  // namespace passerelle::core
