// TLS with a pinned leaf (core/tls.h) and nghttp2 over it (core/h2_transport.h), client and
// server in one process over a socket pair: a request and its answer, a large body both ways
// through flow control, and a certificate that is not the pinned one.
#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "check.h"
#include "h2_transport.h"
#include "identity.h"
#include "loop.h"
#include "tls.h"

using namespace passerelle::core;

namespace {

using testing::Identity;
using testing::MakeIdentity;

// Drives both handshakes until done or failed.
bool Handshake(TlsConnection& client, TlsConnection& server) {
  for (int i = 0; i < 100; i++) {
    const TlsStatus c = client.Handshake();
    const TlsStatus s = server.Handshake();
    if (c == TlsStatus::kError || s == TlsStatus::kError) return false;
    if (c == TlsStatus::kOk && s == TlsStatus::kOk) return true;
  }
  return false;
}

struct Pair {
  int fds[2];
  Pair() { socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds); }
  ~Pair() {
    close(fds[0]);
    close(fds[1]);
  }
};

// An HTTP/2 server answering every request with `body_size` bytes and counting request bytes.
struct Server {
  nghttp2_session* session = nullptr;
  size_t body_size = 0;
  size_t sent = 0;
  size_t received = 0;
  int32_t stream = -1;
  std::string method;

  static ssize_t Read(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                      nghttp2_data_source* source, void*) {
    auto* self = static_cast<Server*>(source->ptr);
    size_t n = self->body_size - self->sent;
    if (n > length) n = length;
    std::memset(buf, 'b', n);
    self->sent += n;
    if (self->sent == self->body_size) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  Server() {
    nghttp2_session_callbacks* callbacks;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame*, const uint8_t* name, size_t nlen,
                      const uint8_t* value, size_t vlen, uint8_t, void* user) {
          auto* self = static_cast<Server*>(user);
          if (std::string(reinterpret_cast<const char*>(name), nlen) == ":method")
            self->method.assign(reinterpret_cast<const char*>(value), vlen);
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        callbacks, [](nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t length, void* user) {
          static_cast<Server*>(user)->received += length;
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        callbacks, [](nghttp2_session* session, const nghttp2_frame* frame, void* user) {
          auto* self = static_cast<Server*>(user);
          if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
              (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
            nghttp2_nv headers[] = {{(uint8_t*)":status", (uint8_t*)"200", 7, 3, 0}};
            nghttp2_data_provider provider;
            provider.source.ptr = self;
            provider.read_callback = Read;
            nghttp2_submit_response(session, frame->hd.stream_id, headers, 1, &provider);
          }
          return 0;
        });
    nghttp2_session_server_new(&session, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 1);
  }
  ~Server() { nghttp2_session_del(session); }
};

struct Client {
  nghttp2_session* session = nullptr;
  int status = 0;
  size_t body = 0;
  bool closed = false;
  size_t upload = 0;
  size_t uploaded = 0;

  static ssize_t Read(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                      nghttp2_data_source* source, void*) {
    auto* self = static_cast<Client*>(source->ptr);
    size_t n = self->upload - self->uploaded;
    if (n > length) n = length;
    std::memset(buf, 'u', n);
    self->uploaded += n;
    if (self->uploaded == self->upload) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  Client() {
    nghttp2_session_callbacks* callbacks;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame*, const uint8_t* name, size_t nlen,
                      const uint8_t* value, size_t vlen, uint8_t, void* user) {
          if (std::string(reinterpret_cast<const char*>(name), nlen) == ":status")
            static_cast<Client*>(user)->status =
                std::stoi(std::string(reinterpret_cast<const char*>(value), vlen));
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        callbacks, [](nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t length, void* user) {
          static_cast<Client*>(user)->body += length;
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        callbacks, [](nghttp2_session*, int32_t, uint32_t, void* user) {
          static_cast<Client*>(user)->closed = true;
          return 0;
        });
    nghttp2_session_client_new(&session, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Client() { nghttp2_session_del(session); }
};

// Pumps both transports until the client's stream closed (or nothing moves any more).
void Pump(H2Transport& client, H2Transport& server, const Client& c) {
  for (int i = 0; i < 100000 && !c.closed; i++) {
    CHECK(client.Send() == H2Transport::Result::kOk);
    CHECK(server.Receive() == H2Transport::Result::kOk);
    CHECK(server.Send() == H2Transport::Result::kOk);
    CHECK(client.Receive() == H2Transport::Result::kOk);
  }
}

}  // namespace

TEST(tls_accepts_the_pinned_leaf_and_negotiates_h2) {
  const Identity identity = MakeIdentity("gateway.test");
  std::string error;
  auto client_context = TlsContext::Client(&error);
  auto server_context = TlsContext::Server(identity.certificate, identity.key, {"h2", "http/1.1"}, &error);
  CHECK(client_context && server_context);
  Pair pair;
  TlsConnection client(*client_context, pair.fds[0], TlsConnection::Role::kClient, "gateway.test",
                       identity.sha256);
  TlsConnection server(*server_context, pair.fds[1], TlsConnection::Role::kServer, "", nullptr);
  CHECK(Handshake(client, server));
  CHECK_STR(client.alpn(), "h2");
  CHECK_STR(server.alpn(), "h2");
  uint8_t digest[32];
  CHECK(client.PeerLeafSha256(digest));
  CHECK(std::memcmp(digest, identity.sha256, 32) == 0);
}

TEST(tls_refuses_a_certificate_that_is_not_the_pinned_one) {
  const Identity identity = MakeIdentity("gateway.test");
  const Identity other = MakeIdentity("gateway.test");  // same name, another key
  std::string error;
  auto client_context = TlsContext::Client(&error);
  auto server_context = TlsContext::Server(other.certificate, other.key, {"h2"}, &error);
  Pair pair;
  TlsConnection client(*client_context, pair.fds[0], TlsConnection::Role::kClient, "gateway.test",
                       identity.sha256);
  TlsConnection server(*server_context, pair.fds[1], TlsConnection::Role::kServer, "", nullptr);
  CHECK(!Handshake(client, server));
  CHECK(client.certificate_mismatch());
  CHECK(client.error().find("certificate changed") != std::string::npos);
}

TEST(tls_server_refuses_a_key_that_does_not_match) {
  const Identity a = MakeIdentity("a");
  const Identity b = MakeIdentity("b");
  std::string error;
  CHECK(!TlsContext::Server(a.certificate, b.key, {"h2"}, &error));
  CHECK(error.find("private key") != std::string::npos);
  CHECK(!TlsContext::Server("not a certificate", a.key, {"h2"}, &error));
}

TEST(h2_request_and_large_bodies_both_ways_over_tls) {
  const Identity identity = MakeIdentity("gateway.test");
  std::string error;
  auto client_context = TlsContext::Client(&error);
  auto server_context = TlsContext::Server(identity.certificate, identity.key, {"h2"}, &error);
  Pair pair;
  TlsConnection client_tls(*client_context, pair.fds[0], TlsConnection::Role::kClient, "", identity.sha256);
  TlsConnection server_tls(*server_context, pair.fds[1], TlsConnection::Role::kServer, "", nullptr);
  CHECK(Handshake(client_tls, server_tls));
  Client client;
  Server server;
  server.body_size = 3 * 1000 * 1000;  // beyond the default 64 KiB windows: flow control works
  client.upload = 2 * 1000 * 1000;
  H2Transport::Options options;
  options.write_budget = 64 * 1024;
  H2Transport client_h2(&client_tls, client.session, options);
  H2Transport server_h2(&server_tls, server.session, options);
  nghttp2_nv headers[] = {{(uint8_t*)":method", (uint8_t*)"POST", 7, 4, 0},
                          {(uint8_t*)":scheme", (uint8_t*)"https", 7, 5, 0},
                          {(uint8_t*)":authority", (uint8_t*)"gateway.test", 10, 12, 0},
                          {(uint8_t*)":path", (uint8_t*)"/upload", 5, 7, 0}};
  nghttp2_data_provider provider;
  provider.source.ptr = &client;
  provider.read_callback = Client::Read;
  CHECK(nghttp2_submit_request(client.session, nullptr, headers, 4, &provider, nullptr) > 0);
  Pump(client_h2, server_h2, client);
  CHECK(client.closed);
  CHECK_STR(server.method, "POST");
  CHECK_EQ(server.received, 2000000u);
  CHECK_EQ(client.status, 200);
  CHECK_EQ(client.body, 3000000u);
  CHECK(client_h2.bytes_sent() > 2000000u);
  CHECK(server_h2.bytes_received() == client_h2.bytes_sent());
}

TEST(h2_transport_reports_a_peer_that_went_away) {
  const Identity identity = MakeIdentity("gateway.test");
  std::string error;
  auto client_context = TlsContext::Client(&error);
  auto server_context = TlsContext::Server(identity.certificate, identity.key, {"h2"}, &error);
  Pair pair;
  TlsConnection client_tls(*client_context, pair.fds[0], TlsConnection::Role::kClient, "", identity.sha256);
  TlsConnection server_tls(*server_context, pair.fds[1], TlsConnection::Role::kServer, "", nullptr);
  CHECK(Handshake(client_tls, server_tls));
  Client client;
  H2Transport client_h2(&client_tls, client.session, {});
  shutdown(pair.fds[1], SHUT_RDWR);
  const H2Transport::Result result = client_h2.Receive();
  CHECK(result == H2Transport::Result::kClosed || result == H2Transport::Result::kError);
  CHECK(!client_h2.error().empty());
}

TEST(fingerprints_are_formatted_like_node) {
  uint8_t digest[32];
  for (int i = 0; i < 32; i++) digest[i] = static_cast<uint8_t>(i * 8);
  CHECK_STR(FormatFingerprint(digest).substr(0, 11), "00:08:10:18");
}
