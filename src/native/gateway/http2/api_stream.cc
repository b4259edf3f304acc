// A JSON API call over HTTP/2 (login, configuration, logout): the request is read whole under
// the limits (body size, a deadline, what a connection may hold before login), sent up to the
// control plane, and its answer written back on the same stream. An answer given for a limit
// (413, 408, 429, 503: the control plane's canned answers) is followed by RST_STREAM
// NO_ERROR once sent: the rest of the body is not wanted (RFC 9113 §8.1).
#include <cstring>

#include "../admission/bearer.h"
#include "../worker/worker.h"
#include "streams.h"

namespace passerelle::gateway {

using control::Canned;
using control::CounterFamily;
using control::Limit;

namespace {

class ApiStream : public Stream, public UpcallClient {
 public:
  ApiStream(Http2Front* front, int32_t id, std::unique_ptr<RequestHeaders> headers,
            bool authenticated)
      : Stream(front, id),
        headers_(std::move(headers)),
        authenticated_(authenticated),
        deadline_([this] { OnDeadline(); }) {}

  ~ApiStream() override { Release(); }

  // False when the connection holds as many requests before login as it may.
  bool Open() {
    if (!budget_.Open(&front_->connection(), authenticated_)) return false;
    Worker& worker = front_->worker();
    worker.loop().Arm(&deadline_, worker.settings().get(Limit::kRequestTimeoutMs));
    return true;
  }

  void OnData(const uint8_t* data, size_t length) override {
    front_->ConsumeStream(id_, length);
    if (state_ != State::kReading) return;
    Worker& worker = front_->worker();
    const Settings& settings = worker.settings();
    if (body_.size() + length > settings.get(Limit::kMaxRequestBodyBytes)) {
      worker.events().Count(CounterFamily::kMalformed, "body-too-large");
      Refuse(Canned::kPayloadTooLarge);
      return;
    }
    RequestBudget::Take taken = budget_.TakeBytes(length);
    if (taken != RequestBudget::Take::kOk) {
      worker.events().Count(CounterFamily::kRequestsRefused, RequestBudget::Label(taken));
      Refuse(taken == RequestBudget::Take::kTotal ? Canned::kBusy : Canned::kTooManyRequests);
      return;
    }
    body_.insert(body_.end(), data, data + length);
  }

  void OnEndStream() override {
    if (state_ != State::kReading) return;
    Worker& worker = front_->worker();
    worker.loop().Disarm(&deadline_);
    state_ = State::kWaiting;
    ApiRequest request;
    request.method = headers_->method;
    request.path = headers_->path;
    request.has_authorization = headers_->authorization_count > 0;
    request.authorization = headers_->authorization;
    request.has_content_type = headers_->content_type_count > 0;
    request.content_type = headers_->content_type;
    request.body = std::move(body_);
    body_.clear();
    request.source_address = front_->connection().source_text();
    upcall_ = worker.SendApiRequest(this, std::move(request));
  }

  void OnApiResponse(ApiResponse&& response) override {
    upcall_ = 0;
    if (state_ != State::kWaiting) return;
    state_ = State::kAnswered;
    if (response.authenticated) front_->connection().MarkAuthenticated();
    // The request's bytes are no longer held before login once it is answered.
    budget_.Finish();
    Answer(std::move(response));
  }

  ssize_t ReadData(uint8_t* buffer, size_t length, uint32_t* flags) override {
    size_t left = response_.body.size() - offset_;
    size_t n = left < length ? left : length;
    std::memcpy(buffer, response_.body.data() + offset_, n);
    offset_ += n;
    if (offset_ == response_.body.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (reset_after_answer_) front_->Reset(id_, NGHTTP2_NO_ERROR);
    }
    return static_cast<ssize_t>(n);
  }

  void OnClose(uint32_t) override {
    // The client reset the stream or went away before its request was whole.
    if (state_ == State::kReading) front_->worker().events().Count(CounterFamily::kRequestsAbandoned, "");
    Release();
  }

  void OnConnectionClosing() override {
    if (state_ == State::kReading) front_->worker().events().Count(CounterFamily::kRequestsAbandoned, "");
    Release();
  }

 private:
  enum class State : uint8_t { kReading, kWaiting, kAnswered };

  void Answer(ApiResponse&& response) {
    response_ = std::move(response);
    offset_ = 0;
    std::vector<std::pair<std::string, std::string>> headers = std::move(response_.headers);
    if (!response_.body.empty()) {
      headers.emplace_back("content-length", std::to_string(response_.body.size()));
    }
    front_->Respond(id_, response_.status, headers, response_.body.empty() ? nullptr : this);
    if (response_.body.empty() && reset_after_answer_) front_->Reset(id_, NGHTTP2_NO_ERROR);
  }

  // An answer for a limit; the rest of the request is not wanted.
  void Refuse(Canned which) {
    Release();
    state_ = State::kAnswered;
    reset_after_answer_ = true;
    Answer(ApiResponse(front_->worker().settings().answer(which)));
  }

  // An API request that has not arrived whole in time is answered 408 (issue #8).
  void OnDeadline() {
    if (state_ != State::kReading) return;
    front_->worker().events().Count(CounterFamily::kRequestsRefused, "request-timeout");
    Refuse(Canned::kRequestTimeout);
  }

  void Release() {
    Worker& worker = front_->worker();
    worker.loop().Disarm(&deadline_);
    if (upcall_ != 0) worker.CancelUpcall(upcall_);
    upcall_ = 0;
    body_.clear();
    body_.shrink_to_fit();
    budget_.Finish();
  }

  std::unique_ptr<RequestHeaders> headers_;
  bool authenticated_;
  RequestBudget budget_;
  std::vector<uint8_t> body_;
  core::Timer deadline_;
  State state_ = State::kReading;
  uint64_t upcall_ = 0;
  ApiResponse response_;
  size_t offset_ = 0;
  bool reset_after_answer_ = false;
};

}  // namespace

Stream* StartApiStream(Http2Front* front, int32_t id, std::unique_ptr<RequestHeaders> headers) {
  Worker& worker = front->worker();
  // A request with a valid session logs the connection in, and is not held against the limits
  // before login.
  const bool authenticated =
      headers->authorization_count == 1 &&
      worker.tables().Authenticate(admission::parse_bearer(headers->authorization),
                                   Worker::wall_ms()) != nullptr;
  if (authenticated) front->connection().MarkAuthenticated();
  auto* stream = new ApiStream(front, id, std::move(headers), authenticated);
  if (!stream->Open()) {
    delete stream;
    worker.events().Count(CounterFamily::kRefusedStreams, "unauthenticated-streams");
    front->Reset(id, NGHTTP2_REFUSED_STREAM);
    return nullptr;
  }
  front->Adopt(stream);
  return stream;
}

}  // namespace passerelle::gateway
