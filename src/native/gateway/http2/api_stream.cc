// A JSON API call over HTTP/2 (login, configuration, logout): the request is read whole under
// the limits (body size, deadline, the connection's pre-authentication caps), sent up to the
// control plane, and its answer written back on the same stream.
#include <cstring>

#include "../worker/worker.h"
#include "streams.h"

namespace passerelle::gateway {

using control::CounterFamily;
using control::Limit;

namespace {

class ApiStream : public Stream, public UpcallClient {
 public:
  ApiStream(Http2Front* front, int32_t id, std::unique_ptr<RequestHeaders> headers)
      : Stream(front, id),
        headers_(std::move(headers)),
        deadline_([this] { OnDeadline(); }) {
    front_->api_streams++;
    Worker& worker = front_->worker();
    worker.loop().Arm(&deadline_, worker.settings().get(Limit::kRequestTimeoutMs));
  }

  ~ApiStream() override {
    Release();
    front_->api_streams--;
  }

  void OnData(const uint8_t* data, size_t length) override {
    front_->ConsumeStream(id_, length);
    if (state_ != State::kReading) return;
    Worker& worker = front_->worker();
    const Settings& settings = worker.settings();
    if (body_.size() + length > settings.get(Limit::kMaxRequestBodyBytes)) {
      worker.events().Count(CounterFamily::kMalformed, "body-too-large");
      Release();
      state_ = State::kAnswered;
      ApiResponse response;
      response.status = 413;
      response.headers = {{"content-type", "application/json"}, {"cache-control", "no-store"}};
      response.body = R"({"error":"payload_too_large","message":"request body too large"})";
      // The rest of the body is not wanted: the stream is reset once the answer is out.
      reset_after_answer_ = true;
      Answer(std::move(response));
      return;
    }
    if (front_->api_bytes + length > settings.get(Limit::kUnauthenticatedBytes)) {
      worker.events().Count(CounterFamily::kRefusedStreams, "api-bytes-per-connection");
      Release();
      state_ = State::kAnswered;
      front_->Reset(id_, NGHTTP2_ENHANCE_YOUR_CALM);
      return;
    }
    body_.insert(body_.end(), data, data + length);
    front_->api_bytes += length;
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
    front_->api_bytes -= request.body.size();
    body_.clear();
    request.source_address = front_->connection().source_text();
    upcall_ = worker.SendApiRequest(this, std::move(request));
  }

  void OnApiResponse(ApiResponse&& response) override {
    upcall_ = 0;
    if (state_ != State::kWaiting) return;
    state_ = State::kAnswered;
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

  void OnClose(uint32_t) override { Release(); }
  void OnConnectionClosing() override { Release(); }

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
  }

  // An API request that has not arrived whole in time is given up (issue #8).
  void OnDeadline() {
    if (state_ != State::kReading) return;
    front_->worker().events().Count(CounterFamily::kMalformed, "request-timeout");
    Release();
    state_ = State::kAnswered;
    front_->Reset(id_, NGHTTP2_CANCEL);
  }

  void Release() {
    Worker& worker = front_->worker();
    worker.loop().Disarm(&deadline_);
    if (upcall_ != 0) worker.CancelUpcall(upcall_);
    upcall_ = 0;
    front_->api_bytes -= body_.size();
    body_.clear();
    body_.shrink_to_fit();
  }

  std::unique_ptr<RequestHeaders> headers_;
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
  auto* stream = new ApiStream(front, id, std::move(headers));
  front->Adopt(stream);
  return stream;
}

}  // namespace passerelle::gateway
