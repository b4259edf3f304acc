// Varints and the streaming capsule reader (core/capsule.h): every split of a stream gives the
// same capsules, over-long capsules make the stream malformed, unknown types are skipped.
#include <string>
#include <vector>

#include "capsule.h"
#include "check.h"

using namespace passerelle::core;

namespace {

struct Collect : CapsuleReader::Sink {
  std::vector<std::string> values;
  void OnDatagramCapsule(const uint8_t* value, size_t length) override {
    values.emplace_back(reinterpret_cast<const char*>(value), length);
  }
};

std::vector<uint8_t> Capsule(uint64_t type, const std::string& value) {
  std::vector<uint8_t> out(16 + value.size());
  size_t at = WriteVarint(out.data(), type);
  at += WriteVarint(out.data() + at, value.size());
  std::copy(value.begin(), value.end(), out.begin() + static_cast<long>(at));
  out.resize(at + value.size());
  return out;
}

}  // namespace

TEST(varints_round_trip_at_every_boundary) {
  const uint64_t values[] = {0, 1, 63, 64, 16383, 16384, (1u << 30) - 1, 1u << 30, kMaxVarint};
  const size_t sizes[] = {1, 1, 1, 2, 2, 4, 4, 8, 8};
  for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    uint8_t buffer[8];
    CHECK_EQ(WriteVarint(buffer, values[i]), sizes[i]);
    uint64_t back = 0;
    CHECK_EQ(ReadVarint(buffer, sizes[i], &back), sizes[i]);
    CHECK_EQ(back, values[i]);
    CHECK_EQ(ReadVarint(buffer, sizes[i] - 1, &back), 0u);  // cut short
  }
  uint8_t buffer[8];
  CHECK_EQ(WriteVarint(buffer, kMaxVarint + 1), 0u);
  CHECK_EQ(VarintLength(kMaxVarint + 1), 0u);
  // RFC 9000 §A.1 examples.
  const uint8_t example[] = {0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c};
  uint64_t value = 0;
  CHECK_EQ(ReadVarint(example, 8, &value), 8u);
  CHECK_EQ(value, 151288809941952652ull);
  const uint8_t two[] = {0x7b, 0xbd};
  CHECK_EQ(ReadVarint(two, 2, &value), 2u);
  CHECK_EQ(value, 15293u);
}

TEST(datagram_header_and_split) {
  uint8_t header[kMaxDatagramHeader];
  const size_t n = WriteDatagramHeader(header, 1000);
  CHECK_EQ(n, 4u);  // type 0, length 1001 (2 bytes), context 0
  uint64_t type = 9, length = 0, context = 9;
  size_t at = ReadVarint(header, n, &type);
  at += ReadVarint(header + at, n - at, &length);
  CHECK_EQ(type, 0u);
  CHECK_EQ(length, 1001u);
  const uint8_t* payload = nullptr;
  size_t payload_length = 0;
  const uint8_t value[] = {0x00, 'a', 'b'};
  CHECK(SplitDatagram(value, 3, &context, &payload, &payload_length));
  CHECK_EQ(context, 0u);
  CHECK_EQ(payload_length, 2u);
  CHECK(!SplitDatagram(value, 0, &context, &payload, &payload_length));
  const uint8_t long_context[] = {0x40};  // a 2-byte varint cut short
  CHECK(!SplitDatagram(long_context, 1, &context, &payload, &payload_length));
}

TEST(reader_gives_the_same_capsules_for_every_split) {
  std::vector<uint8_t> stream;
  const std::vector<std::string> expected = {std::string("\0hello", 6), std::string(300, 'x'),
                                             std::string("\0", 1), std::string()};
  for (const auto& value : expected) {
    auto capsule = Capsule(kCapsuleDatagram, value);
    stream.insert(stream.end(), capsule.begin(), capsule.end());
    auto other = Capsule(0x1234, "ignored capsule");  // unknown type in between: skipped
    stream.insert(stream.end(), other.begin(), other.end());
  }
  for (size_t split = 0; split <= stream.size(); split++) {
    for (size_t second = split; second <= stream.size(); second += 7) {
      CapsuleReader reader(1000);
      Collect sink;
      CHECK(reader.Feed(stream.data(), split, &sink));
      CHECK(reader.Feed(stream.data() + split, second - split, &sink));
      CHECK(reader.Feed(stream.data() + second, stream.size() - second, &sink));
      CHECK(sink.values == expected);
      CHECK_EQ(reader.buffered(), 0u);
    }
  }
  // One byte at a time.
  CapsuleReader reader(1000);
  Collect sink;
  for (uint8_t byte : stream) CHECK(reader.Feed(&byte, 1, &sink));
  CHECK(sink.values == expected);
}

TEST(reader_refuses_a_capsule_over_the_limit_and_stays_refused) {
  CapsuleReader reader(100);
  Collect sink;
  auto ok = Capsule(kCapsuleDatagram, std::string(100, 'a'));
  CHECK(reader.Feed(ok.data(), ok.size(), &sink));
  auto big = Capsule(kCapsuleDatagram, std::string(101, 'b'));
  CHECK(!reader.Feed(big.data(), 3, &sink));  // the header alone says it is too long
  CHECK(reader.malformed());
  CHECK(!reader.Feed(ok.data(), ok.size(), &sink));
  CHECK_EQ(sink.values.size(), 1u);
  // Unknown types are bounded too, and never buffered.
  CapsuleReader other(100);
  auto huge_unknown = Capsule(0x77, std::string(101, 'c'));
  CHECK(!other.Feed(huge_unknown.data(), huge_unknown.size(), &sink));
  // A length varint claiming 2^62 − 1.
  CapsuleReader third(100);
  const uint8_t claim[] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  CHECK(!third.Feed(claim, sizeof(claim), &sink));
}

TEST(reader_holds_only_an_unfinished_capsule) {
  CapsuleReader reader(65535);
  Collect sink;
  auto capsule = Capsule(kCapsuleDatagram, std::string(5000, 'z'));
  CHECK(reader.Feed(capsule.data(), 1000, &sink));
  CHECK(reader.buffered() <= 1000u);
  CHECK(reader.Feed(capsule.data() + 1000, capsule.size() - 1000, &sink));
  CHECK_EQ(sink.values.size(), 1u);
  CHECK_EQ(reader.buffered(), 0u);
}
