#include "session.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "../admission/bearer.h"
#include "../admission/masque_path.h"
#include "../admission/target.h"
#include "../flows/proxy_status.h"
#include "../worker/worker.h"
#include "front.h"
#include "streams.h"

namespace passerelle::gateway {

using control::CounterFamily;
using control::Limit;
using control::ProxyError;

namespace {

// Largest header block (names and values) a request may carry.
constexpr size_t kMaxHeaderBytes = 64 * 1024;

void* CountingMalloc(size_t size, void* user) {
  void* p = std::malloc(size);
  if (p != nullptr) static_cast<Http2Front*>(user)->memory += malloc_usable_size(p);
  return p;
}

void CountingFree(void* p, void* user) {
  if (p == nullptr) return;
  static_cast<Http2Front*>(user)->memory -= malloc_usable_size(p);
  std::free(p);
}

void* CountingCalloc(size_t count, size_t size, void* user) {
  void* p = std::calloc(count, size);
  if (p != nullptr) static_cast<Http2Front*>(user)->memory += malloc_usable_size(p);
  return p;
}

void* CountingRealloc(void* p, size_t size, void* user) {
  auto* front = static_cast<Http2Front*>(user);
  size_t before = p != nullptr ? malloc_usable_size(p) : 0;
  void* q = std::realloc(p, size);
  if (q == nullptr) return nullptr;  // p is still allocated and counted
  front->memory = front->memory - before + malloc_usable_size(q);
  return q;
}

int OnBeginHeadersCallback(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  return static_cast<Http2Front*>(user)->OnBeginHeaders(frame);
}

int OnHeaderCallback(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                     size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                     void* user) {
  return static_cast<Http2Front*>(user)->OnHeader(
      frame, std::string_view(reinterpret_cast<const char*>(name), name_length),
      std::string_view(reinterpret_cast<const char*>(value), value_length));
}

int OnFrameRecvCallback(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  return static_cast<Http2Front*>(user)->OnFrameReceived(frame);
}

int OnDataChunkCallback(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                        size_t length, void* user) {
  return static_cast<Http2Front*>(user)->OnDataChunk(stream_id, data, length);
}

int OnFrameSendCallback(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  return static_cast<Http2Front*>(user)->OnFrameSent(frame);
}

int OnStreamCloseCallback(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) {
  return static_cast<Http2Front*>(user)->OnStreamClose(stream_id, error_code);
}

ssize_t ReadDataCallback(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                         uint32_t* flags, nghttp2_data_source* source, void*) {
  return static_cast<Stream*>(source->ptr)->ReadData(buffer, length, flags);
}

// One set of callbacks for every session of the process (nghttp2 copies them).
const nghttp2_session_callbacks* Callbacks() {
  static nghttp2_session_callbacks* callbacks = [] {
    nghttp2_session_callbacks* c;
    nghttp2_session_callbacks_new(&c);
    nghttp2_session_callbacks_set_on_begin_headers_callback(c, OnBeginHeadersCallback);
    nghttp2_session_callbacks_set_on_header_callback(c, OnHeaderCallback);
    nghttp2_session_callbacks_set_on_frame_recv_callback(c, OnFrameRecvCallback);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, OnDataChunkCallback);
    nghttp2_session_callbacks_set_on_stream_close_callback(c, OnStreamCloseCallback);
    nghttp2_session_callbacks_set_on_frame_send_callback(c, OnFrameSendCallback);
    return c;
  }();
  return callbacks;
}

}  // namespace

ssize_t Stream::ReadData(uint8_t*, size_t, uint32_t* flags) {
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  return 0;
}

std::unique_ptr<Front> MakeHttp2Front(Connection* connection) {
  auto front = std::make_unique<Http2Front>(connection);
  if (!front->Init()) {
    connection->Close();
    return nullptr;
  }
  return front;
}

Http2Front::Http2Front(Connection* connection)
    : connection_(connection),
      worker_(&connection->worker()),
      keepalive_timer_([this] { OnKeepalive(); }) {}

Http2Front::~Http2Front() {
  // nghttp2_session_del calls no callback: the streams are deleted here.
  if (session_ != nullptr) nghttp2_session_del(session_);
  while (streams_ != nullptr) {
    Stream* stream = streams_;
    Unlink(stream);
    delete stream;
  }
}

bool Http2Front::Init() {
  const Settings& settings = worker_->settings();
  nghttp2_option* option;
  if (nghttp2_option_new(&option) != 0) return false;
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_mem mem = {this, CountingMalloc, CountingFree, CountingCalloc, CountingRealloc};
  int rc = nghttp2_session_server_new3(&session_, Callbacks(), this, option, &mem);
  nghttp2_option_del(option);
  if (rc != 0) return false;

  const uint32_t streams = settings.get(Limit::kStreamsPerSession) + 16;
  connection_window_ = settings.get(Limit::kConnectionWindowBytes);
  nghttp2_settings_entry entries[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.get(Limit::kStreamWindowBytes)},
      {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries,
                              sizeof entries / sizeof entries[0]) != 0) {
    return false;
  }
  // The connection window is one for all flows: far above 64 KiB, or throughput collapses.
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(connection_window_));
  transport_ = std::make_unique<core::H2Transport>(&connection_->tls(), session_,
                                                   core::H2Transport::Options{});
  worker_->loop().Arm(&keepalive_timer_, settings.get(Limit::kKeepaliveIntervalMs));
  MarkDirty();
  return true;
}

void Http2Front::OnReadable() {
  if (closing_) return;
  core::H2Transport::Result result = transport_->Receive();
  if (result != core::H2Transport::Result::kOk) {
    connection_->Close();
    return;
  }
  if (transport_->more_to_read()) connection_->ResumeReadSoon();
  MarkDirty();
}

void Http2Front::OnWritable() { Flush(); }

// No request in time on a connection that has not logged in: closed (issue #8).
void Http2Front::OnWaitTimeout() { connection_->Close(); }

void Http2Front::ApplyResets() {
  std::vector<std::pair<int32_t, uint32_t>> resets;
  resets.swap(pending_resets_);
  for (const auto& [id, code] : resets) {
    // A stream the client has ended needs no NO_ERROR reset: our END_STREAM closes it.
    if (code == NGHTTP2_NO_ERROR && nghttp2_session_get_stream_remote_close(session_, id) != 0) {
      continue;
    }
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code);
  }
}

void Http2Front::Flush() {
  if (closing_) return;
  // A stream's ReadData may ask for a reset (a target's RST) while nghttp2 sends: apply it
  // and send again.
  for (int round = 0; round < 4; round++) {
    ApplyResets();
    core::H2Transport::Result result = transport_->Send();
    if (result != core::H2Transport::Result::kOk) {
      connection_->Close();
      return;
    }
    if (pending_resets_.empty()) break;
  }
  connection_->WantWrite(transport_->blocked());
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0 &&
      !transport_->want_write()) {
    connection_->Close();
  }
}

void Http2Front::OnConnectionClosing() {
  if (closing_) return;
  closing_ = true;
  worker_->loop().Disarm(&keepalive_timer_);
  for (Stream* stream = streams_; stream != nullptr; stream = stream->next_) {
    stream->OnConnectionClosing();
  }
}

void Http2Front::OnKeepalive() {
  if (closing_) return;
  // Anything from the client counts, not only PING answers: an answer may wait behind an
  // upload on a slow link (docs/architecture.md, "Clients that vanish").
  const uint64_t received = transport_->bytes_received();
  if (received != last_received_) {
    last_received_ = received;
    silent_intervals_ = 0;
  } else if (++silent_intervals_ >= 3) {
    connection_->Close();
    return;
  }
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
  MarkDirty();
  worker_->loop().Arm(&keepalive_timer_,
                      worker_->settings().get(Limit::kKeepaliveIntervalMs));
}

void Http2Front::Adopt(Stream* stream) {
  stream->prev_ = nullptr;
  stream->next_ = streams_;
  if (streams_ != nullptr) streams_->prev_ = stream;
  streams_ = stream;
  nghttp2_session_set_stream_user_data(session_, stream->id(), stream);
}

void Http2Front::Unlink(Stream* stream) {
  if (stream->prev_ != nullptr) stream->prev_->next_ = stream->next_;
  else if (streams_ == stream) streams_ = stream->next_;
  if (stream->next_ != nullptr) stream->next_->prev_ = stream->prev_;
  stream->prev_ = stream->next_ = nullptr;
}

void Http2Front::Respond(int32_t id, uint16_t status,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         Stream* body) {
  if (closing_) return;
  std::vector<nghttp2_nv> nva;
  nva.reserve(headers.size() + 1);
  const std::string status_name = ":status";
  const std::string status_value = std::to_string(status);
  nva.push_back(core::MakeHeader(status_name, status_value));
  for (const auto& [name, value] : headers) nva.push_back(core::MakeHeader(name, value));
  nghttp2_data_provider provider;
  provider.source.ptr = body;
  provider.read_callback = ReadDataCallback;
  nghttp2_submit_response(session_, id, nva.data(), nva.size(),
                          body != nullptr ? &provider : nullptr);
  MarkDirty();
}

void Http2Front::Refuse(int32_t id, uint16_t status, uint8_t error, std::string_view details,
                        const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> headers = extra;
  headers.emplace_back("proxy-status", ProxyStatus(static_cast<ProxyError>(error), details));
  Respond(id, status, headers, nullptr);
  // The answer is complete while the client may still be sending: RST_STREAM NO_ERROR once
  // it is sent asks the client to stop without error (RFC 9113 §8.1) and closes the stream.
  // (Submitted now, nghttp2 would mark the stream closing and drop the answer.)
  reset_after_answer_.push_back(id);
}

int Http2Front::OnFrameSent(const nghttp2_frame* frame) {
  if (frame->hd.type != NGHTTP2_HEADERS || (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0 ||
      reset_after_answer_.empty()) {
    return 0;
  }
  for (size_t i = 0; i < reset_after_answer_.size(); i++) {
    if (reset_after_answer_[i] != frame->hd.stream_id) continue;
    reset_after_answer_[i] = reset_after_answer_.back();
    reset_after_answer_.pop_back();
    pending_resets_.emplace_back(frame->hd.stream_id, NGHTTP2_NO_ERROR);
    break;
  }
  return 0;
}

void Http2Front::Reset(int32_t id, uint32_t error_code) {
  if (closing_) return;
  pending_resets_.emplace_back(id, error_code);
  MarkDirty();
}

void Http2Front::ResumeData(int32_t id) {
  if (closing_) return;
  nghttp2_session_resume_data(session_, id);
  MarkDirty();
}

void Http2Front::ConsumeStream(int32_t id, size_t length) {
  if (closing_ || length == 0) return;
  nghttp2_session_consume_stream(session_, id, length);
  MarkDirty();
}

void Http2Front::SubtractQueued(size_t length) {
  queued_bytes_ = length > queued_bytes_ ? 0 : queued_bytes_ - length;
  if (unconsumed_connection_ > 0 && queued_bytes_ <= connection_window_ && !closing_) {
    nghttp2_session_consume_connection(session_, unconsumed_connection_);
    unconsumed_connection_ = 0;
    MarkDirty();
  }
}

int Http2Front::OnBeginHeaders(const nghttp2_frame* frame) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  const int32_t id = frame->hd.stream_id;
  const Settings& settings = worker_->settings();
  if (memory + queued_bytes_ > settings.get(Limit::kSessionMemoryBytes)) {
    worker_->events().Count(CounterFamily::kRefusedStreams, "session-memory");
    Reset(id, NGHTTP2_ENHANCE_YOUR_CALM);
    return 0;
  }
  pending_headers_[id] = std::make_unique<RequestHeaders>();
  return 0;
}

int Http2Front::OnHeader(const nghttp2_frame* frame, std::string_view name,
                         std::string_view value) {
  auto it = pending_headers_.find(frame->hd.stream_id);
  if (it == pending_headers_.end()) return 0;
  RequestHeaders& h = *it->second;
  h.bytes += name.size() + value.size() + 32;
  if (h.bytes > kMaxHeaderBytes) {
    worker_->events().Count(CounterFamily::kMalformed, "header-list-too-large");
    Reset(frame->hd.stream_id, NGHTTP2_REFUSED_STREAM);
    pending_headers_.erase(it);
    return 0;
  }
  if (name == ":method") h.method = value;
  else if (name == ":path") h.path = value;
  else if (name == ":authority") h.authority = value;
  else if (name == ":protocol") h.protocol = value;
  else if (name == "authorization") {
    if (h.authorization_count++ == 0) h.authorization = value;
  } else if (name == "proxy-authorization") {
    if (h.proxy_authorization_count++ == 0) h.proxy_authorization = value;
  } else if (name == "content-type") {
    if (h.content_type_count++ == 0) h.content_type = value;
  }
  return 0;
}

int Http2Front::OnFrameReceived(const nghttp2_frame* frame) {
  const int32_t id = frame->hd.stream_id;
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        auto it = pending_headers_.find(id);
        if (it == pending_headers_.end()) return 0;
        std::unique_ptr<RequestHeaders> headers = std::move(it->second);
        pending_headers_.erase(it);
        Dispatch(id, std::move(headers), end_stream);
        return 0;
      }
      break;  // trailers: only their END_STREAM matters
    }
    case NGHTTP2_DATA:
      break;
    default:
      return 0;
  }
  if (!end_stream) return 0;
  auto* stream = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_, id));
  if (stream != nullptr) stream->OnEndStream();
  return 0;
}

int Http2Front::OnDataChunk(int32_t stream_id, const uint8_t* data, size_t length) {
  if (queued_bytes_ <= connection_window_) {
    nghttp2_session_consume_connection(session_, length);
  } else {
    unconsumed_connection_ += length;
  }
  auto* stream = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
  if (stream == nullptr) {
    // A refused stream the client still sends on: its bytes go nowhere.
    nghttp2_session_consume_stream(session_, stream_id, length);
    return 0;
  }
  stream->OnData(data, length);
  return 0;
}

int Http2Front::OnStreamClose(int32_t stream_id, uint32_t error_code) {
  pending_headers_.erase(stream_id);
  for (size_t i = 0; i < reset_after_answer_.size(); i++) {
    if (reset_after_answer_[i] != stream_id) continue;
    reset_after_answer_[i] = reset_after_answer_.back();
    reset_after_answer_.pop_back();
    break;
  }
  auto* stream = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
  if (stream == nullptr) return 0;
  nghttp2_session_set_stream_user_data(session_, stream_id, nullptr);
  Unlink(stream);
  stream->OnClose(error_code);
  delete stream;
  return 0;
}

void Http2Front::Dispatch(int32_t id, std::unique_ptr<RequestHeaders> headers, bool end_stream) {
  Stream* stream = headers->method == "CONNECT" ? StartTunnel(this, id, *headers)
                                                : StartApiStream(this, id, std::move(headers));
  if (stream != nullptr && end_stream) stream->OnEndStream();
}

}  // namespace passerelle::gateway
