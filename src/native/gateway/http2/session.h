// The HTTP/2 server session of one connection and the streams on it.
//
// Flow control: nghttp2's automatic WINDOW_UPDATEs are off. A tunnel gives its stream window
// back as its target takes the bytes (back-pressure per flow), while the connection window is
// given back on arrival unless the bytes queued in this connection's flows pass the connection
// window (then every upload of the connection waits).
//
// Memory: nghttp2 allocates through an allocator that counts, and a new stream is refused
// (RST_STREAM ENHANCE_YOUR_CALM) while the session's memory is past limits.sessionMemory.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../worker/connection.h"
#include "h2_transport.h"
#include "loop.h"

namespace passerelle::gateway {

class Worker;
class Http2Front;

// What a request's header block said, as far as the gateway cares.
struct RequestHeaders {
  std::string method;
  std::string path;
  std::string authority;
  std::string protocol;
  std::string authorization;
  std::string proxy_authorization;
  std::string content_type;
  int authorization_count = 0;
  int proxy_authorization_count = 0;
  int content_type_count = 0;
  size_t bytes = 0;  // names and values, for the header-list cap
};

class Stream {
 public:
  Stream(Http2Front* front, int32_t id) : front_(front), id_(id) {}
  virtual ~Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  int32_t id() const { return id_; }

  // A DATA chunk from the client. The connection window is the front's business; the stream
  // gives its own window back (Http2Front::ConsumeStream) as it gets rid of the bytes.
  virtual void OnData(const uint8_t* data, size_t length) = 0;
  // The client ended its side (END_STREAM).
  virtual void OnEndStream() = 0;
  // nghttp2 asks for response DATA (the data provider): bytes written to `buffer`, or
  // NGHTTP2_ERR_DEFERRED, with NGHTTP2_DATA_FLAG_EOF in `*flags` at the end.
  virtual ssize_t ReadData(uint8_t* buffer, size_t length, uint32_t* flags);
  // nghttp2 closed the stream; the object is deleted right after.
  virtual void OnClose(uint32_t error_code) = 0;
  // The connection is going away: end flows and upcalls; no nghttp2 call any more. The
  // object is deleted with the front.
  virtual void OnConnectionClosing() = 0;

  Stream* prev_ = nullptr;
  Stream* next_ = nullptr;

 protected:
  Http2Front* front_;
  int32_t id_;
};

class Http2Front : public Front {
 public:
  explicit Http2Front(Connection* connection);
  ~Http2Front() override;

  bool Init();
  void OnReadable() override;
  void OnWritable() override;
  void Flush() override;
  void OnConnectionClosing() override;
  void OnWaitTimeout() override;

  Worker& worker() { return *worker_; }
  Connection& connection() { return *connection_; }
  nghttp2_session* session() { return session_; }

  // Responses. Headers are copied by nghttp2. With `stream` the response has a body read
  // from stream->ReadData; without, it ends the stream (END_STREAM on the HEADERS).
  void Respond(int32_t id, uint16_t status,
               const std::vector<std::pair<std::string, std::string>>& headers, Stream* body);
  // A refusal: status with proxy-status (and END_STREAM).
  void Refuse(int32_t id, uint16_t status, uint8_t error, std::string_view details,
              const std::vector<std::pair<std::string, std::string>>& extra = {});
  // RST_STREAM (applied before the next send, never inside an nghttp2 callback).
  void Reset(int32_t id, uint32_t error_code);
  void ResumeData(int32_t id);
  void ConsumeStream(int32_t id, size_t length);
  // Streams report the bytes they queue towards targets; past the connection window the
  // connection window stops being given back (see the class comment).
  void AddQueued(size_t length) { queued_bytes_ += length; }
  void SubtractQueued(size_t length);
  void MarkDirty() { connection_->MarkDirty(); }
  // Takes ownership of a stream and routes the stream's frames to it.
  void Adopt(Stream* stream);

  // nghttp2's memory, counted by the allocator.
  size_t memory = 0;

  // nghttp2 callbacks (static trampolines in session.cc).
  int OnBeginHeaders(const nghttp2_frame* frame);
  int OnHeader(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int OnFrameReceived(const nghttp2_frame* frame);
  int OnDataChunk(int32_t stream_id, const uint8_t* data, size_t length);
  int OnStreamClose(int32_t stream_id, uint32_t error_code);
  int OnFrameSent(const nghttp2_frame* frame);

 private:
  void Dispatch(int32_t id, std::unique_ptr<RequestHeaders> headers, bool end_stream);
  void Unlink(Stream* stream);
  void ApplyResets();
  void OnKeepalive();

  Connection* connection_;
  Worker* worker_;
  nghttp2_session* session_ = nullptr;
  std::unique_ptr<core::H2Transport> transport_;
  Stream* streams_ = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<RequestHeaders>> pending_headers_;
  size_t queued_bytes_ = 0;
  std::vector<std::pair<int32_t, uint32_t>> pending_resets_;
  std::vector<int32_t> reset_after_answer_;  // refusals: RST_STREAM NO_ERROR once sent
  size_t unconsumed_connection_ = 0;
  size_t connection_window_ = 0;
  core::Timer keepalive_timer_;
  uint64_t last_received_ = 0;
  int silent_intervals_ = 0;
  bool closing_ = false;
};

}  // namespace passerelle::gateway
