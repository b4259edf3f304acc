// The client's gateway link (client/gateway_link.h) against an in-process HTTP/2 gateway: API
// requests, CONNECT streams both ways, refusals, 407 renewal, the reset budget, datagram
// streams with capsules cut anywhere, keepalive, a certificate that changed, a gateway that
// goes away or sends garbage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "capsule.h"
#include "check.h"
#include "gateway_link.h"
#include "stats.h"
#include "test_gateway.h"

using namespace passerelle;
using namespace passerelle::client;
using testing::RunUntil;
using testing::TestGateway;

namespace {

struct Listener : LinkListener {
  int up = 0;
  std::vector<std::string> down;
  std::vector<LinkFailure> failures;
  int auth_required = 0;
  struct Response {
    int status;
    Headers headers;
    std::string body;
    std::string error;
  };
  std::map<uint64_t, Response> responses;
  void OnLinkUp() override { up++; }
  void OnLinkDown(const std::string& reason, LinkFailure failure) override {
    down.push_back(reason);
    failures.push_back(failure);
  }
  void OnAuthRequired() override { auth_required++; }
  void OnResponse(uint64_t id, int status, const Headers& headers, const std::string& body,
                  const std::string& error) override {
    responses[id] = Response{status, headers, body, error};
  }
};

struct BytePeer : ByteStreamPeer {
  ByteStream* stream = nullptr;
  bool opened = false;
  int refused = -1;
  std::string received;
  bool ended = false;
  int closed = -1;  // 0 normal, 1 reset
  std::string to_send;
  bool eof = false;
  void OnOpened() override { opened = true; }
  void OnRefused(Refusal refusal) override {
    refused = static_cast<int>(refusal);
    stream = nullptr;
  }
  void OnData(const uint8_t* data, size_t length) override {
    received.append(reinterpret_cast<const char*>(data), length);
    stream->Consumed(length);
  }
  void OnEnd() override { ended = true; }
  void OnClosed(bool reset) override {
    closed = reset ? 1 : 0;
    stream = nullptr;
  }
  size_t Pull(uint8_t* buffer, size_t length, bool* end) override {
    const size_t n = to_send.size() < length ? to_send.size() : length;
    std::memcpy(buffer, to_send.data(), n);
    to_send.erase(0, n);
    *end = n == 0 && eof;
    return n;
  }
};

struct DatagramCollector : DatagramPeer {
  std::vector<std::string> datagrams;
  int refused_status = -1;
  int refusal = -1;
  bool malformed = false;
  bool closed = false;
  void OnRefused(Refusal r, int status) override {
    refusal = static_cast<int>(r);
    refused_status = status;
  }
  void OnDatagram(const uint8_t* payload, size_t length) override {
    datagrams.emplace_back(reinterpret_cast<const char*>(payload), length);
  }
  void OnMalformed() override { malformed = true; }
  void OnClosed() override { closed = true; }
};

std::string Capsule(uint64_t type, const std::string& value) {
  uint8_t header[16];
  size_t at = core::WriteVarint(header, type);
  at += core::WriteVarint(header + at, value.size());
  return std::string(reinterpret_cast<char*>(header), at) + value;
}

std::string Datagram(const std::string& payload) { return Capsule(0, std::string(1, '\0') + payload); }

// A connected link and its gateway.
struct Fixture {
  core::EventLoop loop;
  core::Counters counters{StatNames()};
  Listener listener;
  testing::Identity identity = testing::MakeIdentity("gateway.test");
  TestGateway gateway{&loop, identity};
  GatewayLink link{&loop, &counters, &listener};

  explicit Fixture(bool connect = true, uint64_t keepalive_ms = 2000) {
    loop.AddTurnEndHook([this] { link.Flush(); });
    if (!connect) return;
    link.Connect(Options(keepalive_ms));
    RunUntil(loop, [this] { return (listener.up == 1 && gateway.connected()) || !listener.down.empty(); });
    link.SetToken("token-1");
  }

  LinkOptions Options(uint64_t keepalive_ms = 2000, const uint8_t* pin = nullptr) {
    LinkOptions options;
    options.address = 0x7f000001;
    options.port = gateway.port();
    options.server_name = "gateway.test";
    std::memcpy(options.pin, pin ? pin : identity.sha256, 32);
    options.authority = "gateway.test:" + std::to_string(gateway.port());
    options.keepalive_interval_ms = keepalive_ms;
    options.keepalive_timeout_ms = keepalive_ms * 3;
    return options;
  }
};

}  // namespace

TEST(link_connects_and_carries_api_requests) {
  Fixture f;
  CHECK_EQ(f.listener.up, 1);
  CHECK(f.link.up());
  f.gateway.on_request = [](TestGateway& g, int32_t id, TestGateway::Stream& s) {
    if (!s.ended) return;  // wait for the body
    g.Respond(id, 201, {{"content-type", "application/json"}}, false);
    g.SendData(id, "{\"token\":\"abc\"}", true);
  };
  f.gateway.on_data = f.gateway.on_request;
  f.link.Request(7, "POST", "/api/v1/sessions", {{"content-type", "application/json"}}, "{\"username\":\"alice\"}");
  CHECK(RunUntil(f.loop, [&] { return f.listener.responses.count(7) == 1; }));
  const auto& response = f.listener.responses[7];
  CHECK_EQ(response.status, 201);
  CHECK_STR(response.body, "{\"token\":\"abc\"}");
  CHECK_STR(response.error, "");
  bool content_type = false;
  for (const auto& [n, v] : response.headers) content_type |= n == "content-type" && v == "application/json";
  CHECK(content_type);
  const auto& request = f.gateway.streams.begin()->second;
  CHECK_STR(request.Header(":method"), "POST");
  CHECK_STR(request.Header(":path"), "/api/v1/sessions");
  CHECK_STR(request.Header(":authority"), "gateway.test:" + std::to_string(f.gateway.port()));
  CHECK_STR(request.data, "{\"username\":\"alice\"}");
}

TEST(link_refuses_a_certificate_other_than_the_pinned_one) {
  Fixture f(false);
  uint8_t other[32];
  std::memcpy(other, f.identity.sha256, 32);
  other[0] ^= 1;
  f.link.Connect(f.Options(2000, other));
  CHECK(RunUntil(f.loop, [&] { return !f.listener.down.empty(); }));
  CHECK_EQ(f.listener.up, 0);
  CHECK(f.listener.failures[0] == LinkFailure::kCertificateChanged);
  CHECK(f.listener.down[0].find("certificate changed") != std::string::npos);
}

TEST(link_reports_an_unreachable_gateway) {
  Fixture f(false);
  LinkOptions options = f.Options();
  options.port = 1;  // nothing listens there
  f.link.Connect(options);
  CHECK(RunUntil(f.loop, [&] { return !f.listener.down.empty(); }));
  CHECK(f.listener.down[0].find("ECONNREFUSED") != std::string::npos);
  CHECK(f.listener.failures[0] == LinkFailure::kRefused);
}

TEST(link_reports_a_gateway_that_never_answers_as_timed_out) {
  // A socket that listens but never accepts: the kernel completes the TCP handshake, nobody
  // speaks TLS.
  const int silent = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(silent >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  CHECK_EQ(bind(silent, reinterpret_cast<sockaddr*>(&address), size), 0);
  CHECK_EQ(listen(silent, 1), 0);
  CHECK_EQ(getsockname(silent, reinterpret_cast<sockaddr*>(&address), &size), 0);
  Fixture f(false);
  LinkOptions options = f.Options();
  options.port = ntohs(address.sin_port);
  options.connect_timeout_ms = 200;
  f.link.Connect(options);
  CHECK(RunUntil(f.loop, [&] { return !f.listener.down.empty(); }, 3000));
  CHECK(f.listener.down[0].find("no answer") != std::string::npos);
  CHECK(f.listener.failures[0] == LinkFailure::kTimedOut);
  close(silent);
}

TEST(connect_stream_carries_bytes_both_ways_and_a_target_reset) {
  BytePeer peer;
  Fixture f;
  f.gateway.on_request = [](TestGateway& g, int32_t id, TestGateway::Stream&) { g.Respond(id, 200, {}, false); };
  peer.stream = f.link.OpenTcp(0xc612000a, 80, &peer);
  CHECK(peer.stream != nullptr);
  CHECK(RunUntil(f.loop, [&] { return peer.opened; }));
  const auto& request = f.gateway.streams.begin()->second;
  CHECK_STR(request.Header(":method"), "CONNECT");
  CHECK_STR(request.Header(":authority"), "198.18.0.10:80");
  CHECK_STR(request.Header("authorization"), "Bearer token-1");
  CHECK_STR(request.Header(":path"), "");
  const int32_t id = f.gateway.streams.begin()->first;
  peer.to_send = std::string(100000, 'u');
  peer.stream->ResumeSending();
  CHECK(RunUntil(f.loop, [&] { return f.gateway.streams[id].data.size() == 100000; }));
  f.gateway.SendData(id, std::string(300000, 'd'), false);
  CHECK(RunUntil(f.loop, [&] { return peer.received.size() == 300000; }));
  f.gateway.Reset(id, NGHTTP2_CONNECT_ERROR);
  CHECK(RunUntil(f.loop, [&] { return peer.closed != -1; }));
  CHECK_EQ(peer.closed, 1);  // a reset, for the application to see as one
  CHECK(!peer.ended);
}

TEST(connect_stream_half_closes_both_ways) {
  BytePeer peer;
  Fixture f;
  f.gateway.on_request = [](TestGateway& g, int32_t id, TestGateway::Stream&) { g.Respond(id, 200, {}, false); };
  peer.stream = f.link.OpenTcp(0xc612000a, 80, &peer);
  CHECK(RunUntil(f.loop, [&] { return peer.opened; }));
  const int32_t id = f.gateway.streams.begin()->first;
  peer.to_send = "request";
  peer.eof = true;  // the application shut down its side
  peer.stream->ResumeSending();
  CHECK(RunUntil(f.loop, [&] { return f.gateway.streams[id].ended; }));
  CHECK_STR(f.gateway.streams[id].data, "request");
  f.gateway.SendData(id, "answer", true);
  CHECK(RunUntil(f.loop, [&] { return peer.closed != -1; }));
  CHECK(peer.ended);
  CHECK_EQ(peer.closed, 0);
  CHECK_STR(peer.received, "answer");
}

TEST(refusals_reach_the_flow_as_the_application_should_see_them) {
  Fixture f;
  struct Case {
    int status;
    const char* proxy_status;
    Refusal expected;
  };
  const Case cases[] = {
      {403, "passerelle; error=destination_ip_prohibited", Refusal::kProhibited},
      {502, "passerelle; error=connection_refused", Refusal::kRefused},
      {504, "passerelle; error=connection_timeout", Refusal::kUnreachable},
      {502, "passerelle; error=dns_error", Refusal::kUnreachable},
      {502, "passerelle; error=destination_ip_unroutable", Refusal::kUnreachable},
      {429, "passerelle; error=proxy_internal_error", Refusal::kRefused},
  };
  for (const Case& c : cases) {
    f.gateway.on_request = [&c](TestGateway& g, int32_t id, TestGateway::Stream&) {
      g.Respond(id, c.status, {{"proxy-status", c.proxy_status}}, true);
    };
    BytePeer peer;  // refused: the link never calls it again
    peer.stream = f.link.OpenTcp(0xc612000a, 81, &peer);
    CHECK(RunUntil(f.loop, [&] { return peer.refused != -1; }));
    CHECK_EQ(peer.refused, static_cast<int>(c.expected));
  }
  // The refused streams ended without resets (the gateway's rapid-reset guard counts those).
  CHECK(RunUntil(f.loop, [&] {
    for (const auto& [id, s] : f.gateway.streams)
      if (!s.closed) return false;
    return true;
  }));
  for (const auto& [id, s] : f.gateway.streams) CHECK_EQ(s.reset_code, ~0u);
}

TEST(a_407_parks_the_flow_until_the_session_is_renewed) {
  BytePeer first, second;
  BytePeer third;
  Fixture f;
  f.gateway.on_request = [](TestGateway& g, int32_t id, TestGateway::Stream& s) {
    if (s.Header("authorization") == "Bearer token-1") {
      g.Respond(id, 407, {{"proxy-authenticate", "Bearer realm=\"passerelle\""}}, true);
    } else {
      g.Respond(id, 200, {}, false);
    }
  };
  first.stream = f.link.OpenTcp(0xc612000a, 80, &first);
  second.stream = f.link.OpenTcp(0xc612000a, 443, &second);
  CHECK(RunUntil(f.loop, [&] { return f.gateway.streams.size() == 2 && f.listener.auth_required > 0; }));
  f.loop.RunOnce(20);
  CHECK_EQ(f.listener.auth_required, 1);  // once for every flow refused meanwhile
  CHECK(!first.opened && first.refused == -1);
  f.link.SetToken("token-2");
  CHECK(RunUntil(f.loop, [&] { return first.opened && second.opened; }));
  int renewed = 0;
  for (const auto& [id, s] : f.gateway.streams) renewed += s.Header("authorization") == "Bearer token-2";
  CHECK_EQ(renewed, 2);
  // The next 407 without a renewal: the flow is refused.
  f.gateway.on_request = [](TestGateway& g, int32_t id, TestGateway::Stream&) { g.Respond(id, 407, {}, true); };
  third.stream = f.link.OpenTcp(0xc612000a, 80, &third);
  CHECK(RunUntil(f.loop, [&] { return f.listener.auth_required == 2; }));
  f.link.RenewalFailed();
  CHECK(RunUntil(f.loop, [&] { return third.refused != -1; }));
  CHECK_EQ(third.refused, static_cast<int>(Refusal::kAuthRequired));
}

TEST(aborts_reset_within_the_budget_then_end_gracefully) {
  Fixture f;
  f.gateway.on_request = [](TestGateway& g, int32_t id, TestGateway::Stream&) { g.Respond(id, 200, {}, false); };
  std::vector<std::unique_ptr<BytePeer>> peers;
  for (int i = 0; i < 260; i++) {
    peers.push_back(std::make_unique<BytePeer>());
    peers.back()->stream = f.link.OpenTcp(0xc612000a, 80, peers.back().get());
  }
  CHECK(RunUntil(f.loop, [&] {
    for (auto& p : peers)
      if (!p->opened) return false;
    return true;
  }, 5000));
  for (auto& p : peers) {
    p->stream->Abort();
    p->stream = nullptr;
  }
  // The gateway closes its side of the gracefully ended ones, as it does on END_STREAM.
  f.gateway.on_data = [](TestGateway& g, int32_t id, TestGateway::Stream& s) {
    if (s.ended) g.SendData(id, "", true);
  };
  CHECK(RunUntil(f.loop, [&] {
    for (const auto& [id, s] : f.gateway.streams)
      if (!s.closed) return false;
    return true;
  }, 5000));
  int resets = 0, ends = 0;
  for (const auto& [id, s] : f.gateway.streams) {
    if (s.reset_code == NGHTTP2_CANCEL) resets++;
    if (s.ended && s.reset_code == ~0u) ends++;
  }
  CHECK(resets >= 200 && resets <= 202);  // the burst (plus what refilled meanwhile)
  CHECK_EQ(resets + ends, 260);
  CHECK(f.link.up());
}

TEST(datagram_streams_carry_capsules_cut_anywhere) {
  DatagramCollector peer;
  Fixture f;
  f.gateway.on_request = [](TestGateway&, int32_t, TestGateway::Stream&) {};  // answer later
  DatagramStream* stream = f.link.OpenUdp(0xc6120035, 53, &peer);
  CHECK(stream != nullptr);
  CHECK(stream->Send(reinterpret_cast<const uint8_t*>("query"), 5));  // before the answer
  CHECK(RunUntil(f.loop, [&] { return !f.gateway.streams.empty() && f.gateway.streams.begin()->second.data.size() == 8; }));
  const int32_t id = f.gateway.streams.begin()->first;
  const auto& request = f.gateway.streams[id];
  CHECK_STR(request.Header(":protocol"), "connect-udp");
  CHECK_STR(request.Header(":path"), "/.well-known/masque/udp/198.18.0.53/53/");
  CHECK_STR(request.Header("capsule-protocol"), "?1");
  CHECK_STR(request.Header(":scheme"), "https");
  CHECK_STR(request.data, Datagram("query"));
  f.gateway.Respond(id, 200, {{"capsule-protocol", "?1"}}, false);
  const std::string stream_bytes = Datagram("answer-1") + Capsule(0x1234, "unknown type, skipped") +
                                   Capsule(0, std::string(1, '\x01') + "other context") + Datagram("answer-2");
  f.gateway.SendData(id, stream_bytes.substr(0, 5), false);
  f.loop.RunOnce(10);
  f.gateway.SendData(id, stream_bytes.substr(5), false);
  CHECK(RunUntil(f.loop, [&] { return peer.datagrams.size() == 2; }));
  CHECK_STR(peer.datagrams[0], "answer-1");
  CHECK_STR(peer.datagrams[1], "answer-2");
  // A capsule over the limit: malformed, the stream ends gracefully.
  f.gateway.SendData(id, Capsule(0, std::string(70000, 'x')), false);
  CHECK(RunUntil(f.loop, [&] { return peer.malformed; }));
  CHECK(RunUntil(f.loop, [&] { return f.gateway.streams[id].ended; }));
}

TEST(datagram_refusals_and_the_icmp_stream) {
  DatagramCollector udp;
  DatagramCollector icmp;
  Fixture f;
  f.gateway.on_request = [](TestGateway& g, int32_t id, TestGateway::Stream& s) {
    g.Respond(id, s.Header(":protocol") == "connect-ip" ? 200 : 403, {}, s.Header(":protocol") != "connect-ip");
  };
  f.link.OpenUdp(0xc6120101, 53, &udp);
  CHECK(RunUntil(f.loop, [&] { return udp.refused_status != -1; }));
  CHECK_EQ(udp.refused_status, 403);
  CHECK_EQ(udp.refusal, static_cast<int>(Refusal::kProhibited));
  DatagramStream* stream = f.link.OpenIcmp(&icmp);
  stream->Send(reinterpret_cast<const uint8_t*>("ping"), 4);
  CHECK(RunUntil(f.loop, [&] { return f.gateway.streams.size() == 2 && !f.gateway.streams.rbegin()->second.data.empty(); }));
  const auto& request = f.gateway.streams.rbegin()->second;
  CHECK_STR(request.Header(":protocol"), "connect-ip");
  CHECK_STR(request.Header(":path"), "/.well-known/masque/ip/*/1/");
}

TEST(keepalive_measures_the_round_trip_and_notices_a_frozen_gateway) {
  Fixture f(true, 100);
  CHECK(RunUntil(f.loop, [&] { return f.counters.Get(kRttMicros) > 0; }));
  f.gateway.frozen = true;
  const uint64_t frozen_at = core::EventLoop::MonotonicNs();
  CHECK(RunUntil(f.loop, [&] { return !f.listener.down.empty(); }, 3000));
  CHECK_STR(f.listener.down[0], "keepalive timeout");
  CHECK(f.listener.failures[0] == LinkFailure::kKeepaliveLost);
  // interval + timeout = 400 ms at most, plus scheduling.
  CHECK((core::EventLoop::MonotonicNs() - frozen_at) / 1000000 < 1500);
}

TEST(a_lost_connection_ends_every_flow_and_request) {
  BytePeer tcp;
  DatagramCollector udp;
  BytePeer later;
  Fixture f;
  f.gateway.on_request = [](TestGateway& g, int32_t id, TestGateway::Stream& s) {
    if (s.Header(":method") == "CONNECT") g.Respond(id, 200, {}, false);
  };
  tcp.stream = f.link.OpenTcp(0xc612000a, 80, &tcp);
  f.link.OpenUdp(0xc6120035, 53, &udp);
  CHECK(RunUntil(f.loop, [&] { return tcp.opened && f.gateway.streams.size() == 2; }));
  f.link.Request(9, "GET", "/api/v1/config", {}, "");
  CHECK(RunUntil(f.loop, [&] { return f.gateway.streams.size() == 3; }));
  f.gateway.CloseConnection();
  CHECK(RunUntil(f.loop, [&] { return !f.listener.down.empty(); }));
  CHECK(f.listener.failures[0] == LinkFailure::kConnectionReset);
  CHECK_EQ(tcp.closed, 1);
  CHECK(udp.closed);
  CHECK(!f.listener.responses[9].error.empty());
  // No gateway now: new flows are refused at once, nothing is opened.
  CHECK(f.link.OpenTcp(0xc612000a, 80, &later) == nullptr);
  CHECK(f.link.OpenUdp(0xc6120035, 53, &udp) == nullptr);
  // Connect again: flows wait for a token.
  f.link.Connect(f.Options());
  CHECK(RunUntil(f.loop, [&] { return f.listener.up == 2; }));
  CHECK(f.link.OpenTcp(0xc612000a, 80, &later) == nullptr);
  f.link.SetToken("token-2");
  later.stream = f.link.OpenTcp(0xc612000a, 80, &later);
  CHECK(later.stream != nullptr);
  CHECK(RunUntil(f.loop, [&] { return later.opened; }));
}

TEST(goaway_and_garbage_end_the_connection_cleanly) {
  {
    Fixture f;
    f.gateway.Goaway();
    CHECK(RunUntil(f.loop, [&] { return !f.listener.down.empty(); }));
    CHECK_STR(f.listener.down[0], "the gateway closed the connection");
    CHECK(f.listener.failures[0] == LinkFailure::kGatewayClosed);
  }
  {
    BytePeer peer;
    Fixture f;
    f.gateway.on_request = [](TestGateway& g, int32_t id, TestGateway::Stream&) { g.Respond(id, 200, {}, false); };
    peer.stream = f.link.OpenTcp(0xc612000a, 80, &peer);
    CHECK(RunUntil(f.loop, [&] { return peer.opened; }));
    // A frame header announcing 16 MiB of an unknown type on stream 0, then noise.
    f.gateway.InjectRaw(std::string("\xff\xff\xff\x07\x00\x00\x00\x00\x00", 9) + std::string(64, '\x5a'));
    CHECK(RunUntil(f.loop, [&] { return !f.listener.down.empty(); }));
    CHECK_EQ(peer.closed, 1);
  }
}
