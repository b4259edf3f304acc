// HTTP Datagrams and the Capsule Protocol (RFC 9297) with QUIC variable-length integers
// (RFC 9000 §16): the framing inside connect-udp and connect-ip streams.
//
// Promises:
// - Varint and capsule functions never read or write outside the given ranges.
// - CapsuleReader is streaming (DATA frames cut capsules anywhere), linear in the bytes fed
//   (each byte is looked at once and copied at most once), and bounded: a capsule longer than
//   the limit makes the stream malformed; capsules of other types than DATAGRAM are skipped
//   without being buffered. A capsule contained in one chunk is handed over without a copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace passerelle::core {

constexpr uint64_t kCapsuleDatagram = 0x00;
constexpr uint64_t kCapsuleAddressAssign = 0x01;
constexpr uint64_t kCapsuleRouteAdvertisement = 0x03;
constexpr uint64_t kMaxVarint = (1ull << 62) - 1;

// 1, 2, 4 or 8; 0 when the value is over 2^62 − 1.
size_t VarintLength(uint64_t value);
// Writes `value` (at most 8 bytes); returns the bytes written, 0 when out of range.
size_t WriteVarint(uint8_t* out, uint64_t value);
// Reads a varint; returns the bytes it took, 0 when `length` ends first.
size_t ReadVarint(const uint8_t* data, size_t length, uint64_t* value);

// The header of a DATAGRAM capsule with context ID 0 (RFC 9298 §5, RFC 9484 §6) in front of a
// payload of `payload_length` bytes: type, length, context ID. At most kMaxDatagramHeader bytes.
constexpr size_t kMaxDatagramHeader = 1 + 8 + 1;
size_t WriteDatagramHeader(uint8_t* out, size_t payload_length);

// Splits a DATAGRAM capsule's value into context ID and payload. False when the value does not
// even hold the context ID.
bool SplitDatagram(const uint8_t* value, size_t length, uint64_t* context_id,
                   const uint8_t** payload, size_t* payload_length);

class CapsuleReader {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // One whole DATAGRAM capsule's value (context ID included). Valid during the call only.
    virtual void OnDatagramCapsule(const uint8_t* value, size_t length) = 0;
  };

  explicit CapsuleReader(size_t max_length) : max_length_(max_length) {}

  // Feeds the next bytes of the stream. False once the stream is malformed (a capsule over the
  // limit); nothing more is delivered after that.
  bool Feed(const uint8_t* data, size_t length, Sink* sink);

  bool malformed() const { return state_ == State::kMalformed; }
  // Bytes of an unfinished capsule held across chunks.
  size_t buffered() const { return value_.size() + header_length_; }

 private:
  enum class State : uint8_t { kHeader, kValue, kSkip, kMalformed };
  size_t max_length_;
  State state_ = State::kHeader;
  uint8_t header_[16];  // type and length varints while they straddle chunks
  size_t header_length_ = 0;
  uint64_t remaining_ = 0;         // of the current capsule's value
  std::vector<uint8_t> value_;     // a DATAGRAM value that straddles chunks
};

}  // namespace passerelle::core
