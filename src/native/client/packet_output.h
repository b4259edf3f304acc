// Where the packet side sends what goes back into the TUN device: packets it rewrote in place
// (read from the device, headroom in front) and packets it built in the shared scratch buffer.
// The data plane implements it on the TUN device; tests capture the packets.
#pragma once

#include <cstddef>
#include <cstdint>

namespace passerelle::client {

class PacketOutput {
 public:
  static constexpr size_t kScratchSize = 65536;

  virtual ~PacketOutput() = default;
  // `keep_header`: `packet` was read from the device and its offload header still applies.
  virtual void Send(uint8_t* packet, size_t length, bool keep_header) = 0;
  // kScratchSize bytes with headroom in front, for building one packet; valid until the next
  // Send() or Scratch().
  virtual uint8_t* Scratch() = 0;
};

}  // namespace passerelle::client
