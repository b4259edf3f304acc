// Fuzzes the capsule reader (core/capsule.h) with what a gateway may send in a connect-udp or
// connect-ip stream, cut into chunks at the positions the input itself chooses.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "capsule.h"

using namespace passerelle::core;

namespace {

struct Sink : CapsuleReader::Sink {
  size_t bytes = 0;
  void OnDatagramCapsule(const uint8_t* value, size_t length) override {
    uint64_t context = 0;
    const uint8_t* payload = nullptr;
    size_t payload_length = 0;
    if (SplitDatagram(value, length, &context, &payload, &payload_length) && payload_length > 0)
      bytes += payload[0] + payload[payload_length - 1];  // touch both ends
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the chunk size: every way DATA frames may cut the stream.
  const size_t chunk = 1 + data[0] % 64;
  CapsuleReader reader(1 + (size % 2000));
  Sink sink;
  for (size_t at = 1; at < size; at += chunk) {
    const size_t length = size - at < chunk ? size - at : chunk;
    std::vector<uint8_t> piece(data + at, data + at + length);
    if (!reader.Feed(piece.data(), piece.size(), &sink)) break;
  }
  return 0;
}
