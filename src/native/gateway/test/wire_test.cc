// The control channel's framing: round trips, truncation, oversize frames, any split.
#include <algorithm>
#include <string>
#include <vector>

#include "../control/wire.h"
#include "check.h"

using namespace passerelle::gateway::control;

TEST(wire_round_trips_fields) {
  std::vector<uint8_t> out;
  Writer w(&out);
  w.begin(7);
  w.u8(1);
  w.u16(0xbeef);
  w.u32(0xdeadbeef);
  w.i32(-5);
  w.u64(0x0102030405060708ull);
  w.str("hello");
  w.bytes("", 0);
  w.end();
  CHECK_EQ(out.size(), 4u + 1 + 1 + 2 + 4 + 4 + 8 + 9 + 4);
  FrameSplitter split;
  split.feed(out.data(), out.size());
  uint8_t type;
  const uint8_t* fields;
  size_t length;
  CHECK(split.next(&type, &fields, &length) == FrameSplitter::Status::kMessage);
  CHECK_EQ(type, 7);
  Reader r(fields, length);
  CHECK_EQ(r.u8(), 1);
  CHECK_EQ(r.u16(), 0xbeef);
  CHECK_EQ(r.u32(), 0xdeadbeefu);
  CHECK_EQ(r.i32(), -5);
  CHECK_EQ(r.u64(), 0x0102030405060708ull);
  CHECK(r.str() == "hello");
  CHECK(r.bytes().empty());
  CHECK(r.done());
  CHECK(split.next(&type, &fields, &length) == FrameSplitter::Status::kNeedMore);
}

TEST(wire_reader_turns_bad_past_the_end) {
  const uint8_t data[] = {5, 0, 0, 0, 'a', 'b'};  // a string claiming 5 bytes, 2 there
  Reader r(data, sizeof data);
  CHECK(r.str().empty());
  CHECK(!r.ok());
  CHECK_EQ(r.u32(), 0u);
  const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff};
  Reader h(huge, sizeof huge);
  CHECK(h.bytes().empty());
  CHECK(!h.ok());
}

TEST(wire_splits_frames_in_any_chunking_and_refuses_oversize) {
  std::vector<uint8_t> out;
  Writer w(&out);
  for (int i = 0; i < 3; i++) {
    w.begin(static_cast<uint8_t>(i + 1));
    w.str(std::string(static_cast<size_t>(i) * 100, 'x'));
    w.end();
  }
  for (size_t step = 1; step < out.size(); step += 7) {
    FrameSplitter split;
    int seen = 0;
    for (size_t pos = 0; pos < out.size(); pos += step) {
      split.feed(out.data() + pos, std::min(step, out.size() - pos));
      uint8_t type;
      const uint8_t* fields;
      size_t length;
      while (split.next(&type, &fields, &length) == FrameSplitter::Status::kMessage) {
        CHECK_EQ(type, seen + 1);
        Reader r(fields, length);
        CHECK_EQ(r.str().size(), static_cast<size_t>(seen) * 100);
        seen++;
      }
    }
    CHECK_EQ(seen, 3);
  }
  FrameSplitter split;
  const uint8_t too_large[] = {0xff, 0xff, 0xff, 0x7f, 1};
  split.feed(too_large, sizeof too_large);
  uint8_t type;
  const uint8_t* fields;
  size_t length;
  CHECK(split.next(&type, &fields, &length) == FrameSplitter::Status::kTooLarge);
  const uint8_t empty[] = {0, 0, 0, 0};
  FrameSplitter split2;
  split2.feed(empty, sizeof empty);
  CHECK(split2.next(&type, &fields, &length) == FrameSplitter::Status::kTooLarge);
}
