// Feeds an nghttp2 session over a TlsConnection: the glue both data planes use. nghttp2 drives
// the framing through its callbacks (nghttp2's own examples); this only moves bytes in and out.
//
// Promises:
// - Receive() decrypts what the socket has and hands it to nghttp2_session_mem_recv, at most
//   `read_budget` bytes per call, so one busy connection cannot starve a loop; when it stops
//   early, or OpenSSL still holds decrypted bytes, more_to_read() is true and the owner must
//   call it again in the same or the next turn (epoll will not say so).
// - Send() takes frames from nghttp2_session_mem_send, gathers small ones into one TLS record
//   (a HEADERS frame and a WINDOW_UPDATE leave in one write), writes large ones without a copy,
//   and stops after `write_budget` bytes or when the socket is full: blocked() then says to wait
//   for EPOLLOUT. With TCP_NOTSENT_LOWAT on the socket, EPOLLOUT comes only when the kernel's
//   unsent bytes fell below the mark: what waits in the socket stays small, so a new stream's
//   HEADERS do not queue behind megabytes of a bulk flow (nghttp2 puts HEADERS before DATA).
// - Neither owns the session, the TLS connection or the socket.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tls.h"

namespace passerelle::core {

class H2Transport {
 public:
  struct Options {
    size_t read_budget = 256 * 1024;
    size_t write_budget = 256 * 1024;
  };
  enum class Result : uint8_t { kOk, kClosed, kError };

  H2Transport(TlsConnection* tls, nghttp2_session* session, Options options);
  H2Transport(const H2Transport&) = delete;
  H2Transport& operator=(const H2Transport&) = delete;

  Result Receive();
  Result Send();

  bool blocked() const { return blocked_; }
  bool more_to_read() const { return more_to_read_; }
  // Frames nghttp2 wants to send, or bytes not yet taken by TLS.
  bool want_write() const;
  const std::string& error() const { return error_; }
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  // Writes out_ from out_offset_; false when the socket is full or on error (status says).
  bool WriteOut(TlsStatus* status);

  static constexpr size_t kRecordSize = 16384;
  TlsConnection* tls_;
  nghttp2_session* session_;
  Options options_;
  bool blocked_ = false;
  bool more_to_read_ = false;
  std::string error_;
  std::unique_ptr<uint8_t[]> in_;
  size_t in_size_ = 64 * 1024;
  std::vector<uint8_t> out_;  // plaintext gathered, or left over from a partial write
  size_t out_offset_ = 0;
  uint64_t bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
};

// An nghttp2 header from two strings that outlive the call that uses it (no copy).
inline nghttp2_nv MakeHeader(const std::string& name, const std::string& value,
                             uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), flags};
}

}  // namespace passerelle::core
