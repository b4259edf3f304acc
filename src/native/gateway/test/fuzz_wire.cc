// Fuzz target: the control channel's frame splitter and field reader (the data plane reads
// what the control plane sends; bugs there must not turn into memory errors either).
#include <cstddef>
#include <cstdint>

#include "../control/wire.h"

using namespace passerelle::gateway::control;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FrameSplitter split;
  const size_t step = size > 0 ? 1 + data[0] % 32 : 1;
  for (size_t pos = 0; pos < size; pos += step) {
    split.feed(data + pos, size - pos < step ? size - pos : step);
    uint8_t type;
    const uint8_t* fields;
    size_t length;
    FrameSplitter::Status status;
    while ((status = split.next(&type, &fields, &length)) == FrameSplitter::Status::kMessage) {
      Reader r(fields, length);
      while (r.ok() && !r.done()) {
        switch (type % 4) {
          case 0: (void)r.u8(); break;
          case 1: (void)r.u32(); break;
          case 2: (void)r.u64(); break;
          default: (void)r.bytes(); break;
        }
      }
    }
    if (status == FrameSplitter::Status::kTooLarge) return 0;
  }
  return 0;
}
