// The channel's two codecs agree: the bytes below were written by the TypeScript encoder
// (src/native/gateway-wire.ts) and are read here; the events written here are the bytes
// test/unit/native/gateway-wire.test.ts reads. A change on one side breaks one of the two.
#include <string>
#include <vector>

#include "../control/codec.h"
#include "../worker/events.h"
#include "check.h"

using namespace passerelle::gateway;

namespace {

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string ToHex(const std::vector<uint8_t>& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// encodeSubject(7, {web: tcp 198.18.0.10/32 ports 80, 8000-8099; dns: deny everything to
// 0/0}) from gateway-wire.ts.
const char kSubject[] =
    "4d0000000207000000020000000300000077656203000000646e73020000000101000000000000000a0012c6"
    "ffffffff0100020050005000401fa31f000200000001000000000000000000000007010000";

}  // namespace

// What gateway-wire.test.ts decodes.
const char kEvents[] =
    "a9000000690600000001030000000102030000000002040001000000030000007765620a0012c62050001000"
    "000000000000a0000000000000001500000000000000020300000002010000ffffffff000000000000000000"
    "00000000000000000000000000000000000000000000080000006c6f6f706261636b050c000000666c6f772d"
    "736f636b657473280000000000000003010b00000063617073756c652d746f6f020000000409000000";

TEST(codec_reads_a_subject_the_typescript_encoder_wrote) {
  std::vector<uint8_t> bytes = FromHex(kSubject);
  control::FrameSplitter split;
  split.feed(bytes.data(), bytes.size());
  uint8_t type;
  const uint8_t* fields;
  size_t length;
  CHECK(split.next(&type, &fields, &length) == control::FrameSplitter::Status::kMessage);
  CHECK_EQ(type, static_cast<uint8_t>(control::Down::kSubject));
  control::Reader r(fields, length);
  CHECK_EQ(r.u32(), 7u);
  admission::RuleSet set;
  CHECK(DecodeRules(&r, &set));
  CHECK(r.done());
  CHECK_EQ(set.resource_names.size(), 2u);
  CHECK(set.resource_names[0] == "web" && set.resource_names[1] == "dns");
  CHECK_EQ(set.rules.size(), 2u);
  const admission::Rule& web = set.rules[0];
  CHECK(web.allow && web.policy_index == 1 && web.resource == 0);
  CHECK(web.prefix.network == 0xc612000a && web.prefix.mask == 0xffffffff);
  CHECK(web.protocols == 1 && !web.covers_icmp);
  CHECK(web.ports.size() == 2 && web.ports[1].from == 8000 && web.ports[1].to == 8099);
  const admission::Rule& dns = set.rules[1];
  CHECK(!dns.allow && dns.resource == 1 && dns.protocols == 7 && dns.covers_icmp);
  CHECK(dns.ports.empty());
}

TEST(codec_refuses_rule_counts_the_message_cannot_hold) {
  std::vector<uint8_t> bytes;
  control::Writer w(&bytes);
  w.u32(0);  // no names
  w.u32(5000000);  // five million rules in a few bytes
  control::Reader r(bytes.data(), bytes.size());
  admission::RuleSet set;
  CHECK(!DecodeRules(&r, &set));
  CHECK(set.rules.empty());
}

TEST(codec_writes_the_events_the_typescript_decoder_reads) {
  Events events;
  events.FlowOpen(3, admission::Protocol::kUdp);
  FlowEnd end;
  end.session = 3;
  end.protocol = admission::Protocol::kTcp;
  end.verdict = control::Verdict::kError;
  end.error = control::ProxyError::kConnectionRefused;
  end.opened = false;
  end.policy = 1;
  end.resource = "web";
  end.destination = 0xc612000a;
  end.prefix = 32;
  end.port = 80;
  end.bytes_up = 16;
  end.bytes_down = 160;
  end.duration_ms = 21;
  events.FlowEnd(end);
  FlowEnd denied;
  denied.session = 3;
  denied.protocol = admission::Protocol::kIcmp;
  denied.verdict = control::Verdict::kDeny;
  denied.destination = 0;
  denied.prefix = 0;
  denied.reserved = "loopback";
  events.FlowEnd(denied);
  events.Gauge("flow-sockets", 40);
  events.Count(control::CounterFamily::kMalformed, "capsule-too");
  events.Count(control::CounterFamily::kMalformed, "capsule-too", 1);
  std::vector<uint8_t> records;
  uint32_t count = events.Take(&records);
  std::vector<uint8_t> message;
  control::Writer w(&message);
  w.begin(static_cast<uint8_t>(control::Up::kEvents));
  w.u32(count + 1);
  message.insert(message.end(), records.begin(), records.end());
  w.u8(static_cast<uint8_t>(control::EventKind::kSessionDropped));
  w.u32(9);
  w.end();
  if (ToHex(message) != kEvents) std::fprintf(stderr, "  events: %s\n", ToHex(message).c_str());
  CHECK(ToHex(message) == kEvents);
}
