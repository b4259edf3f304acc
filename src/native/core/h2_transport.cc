#include "h2_transport.h"

#include <cstring>

namespace passerelle::core {

H2Transport::H2Transport(TlsConnection* tls, nghttp2_session* session, Options options)
    : tls_(tls), session_(session), options_(options), in_(new uint8_t[64 * 1024]) {
  out_.reserve(2 * kRecordSize + 1024);
}

bool H2Transport::want_write() const {
  return out_offset_ < out_.size() || nghttp2_session_want_write(session_) != 0;
}

H2Transport::Result H2Transport::Receive() {
  more_to_read_ = false;
  size_t total = 0;
  for (;;) {
    if (total >= options_.read_budget) {
      more_to_read_ = true;
      return Result::kOk;
    }
    TlsStatus status;
    const size_t got = tls_->Read(in_.get(), in_size_, &status);
    if (got == 0) {
      switch (status) {
        case TlsStatus::kWantRead:
        case TlsStatus::kOk:
          return Result::kOk;
        case TlsStatus::kWantWrite:
          // TLS wants to send (a post-handshake message) before it reads on.
          blocked_ = true;
          return Result::kOk;
        case TlsStatus::kClosed:
          error_ = tls_->error().empty() ? "the peer closed the connection" : tls_->error();
          return Result::kClosed;
        case TlsStatus::kError:
          error_ = tls_->error();
          return Result::kError;
      }
    }
    total += got;
    bytes_received_ += got;
    const ssize_t used = nghttp2_session_mem_recv(session_, in_.get(), got);
    if (used < 0) {
      error_ = std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(used));
      return Result::kError;
    }
  }
}

bool H2Transport::WriteOut(TlsStatus* status) {
  const size_t left = out_.size() - out_offset_;
  const size_t written = tls_->Write(out_.data() + out_offset_, left, status);
  out_offset_ += written;
  bytes_sent_ += written;
  if (out_offset_ == out_.size()) {
    out_.clear();
    out_offset_ = 0;
  }
  return *status == TlsStatus::kOk;
}

H2Transport::Result H2Transport::Send() {
  blocked_ = false;
  size_t sent = 0;
  for (;;) {
    TlsStatus status = TlsStatus::kOk;
    if (out_offset_ < out_.size() && !WriteOut(&status)) {
      if (status == TlsStatus::kWantWrite || status == TlsStatus::kWantRead) {
        blocked_ = true;
        return Result::kOk;
      }
      error_ = tls_->error();
      return status == TlsStatus::kClosed ? Result::kClosed : Result::kError;
    }
    if (sent >= options_.write_budget) {
      // Not blocked by the socket: by the budget. EPOLLOUT (with TCP_NOTSENT_LOWAT) says when
      // to go on.
      blocked_ = nghttp2_session_want_write(session_) != 0;
      return Result::kOk;
    }
    // Gather frames until a record's worth; a large frame alone goes out without a copy.
    const uint8_t* direct = nullptr;
    size_t direct_length = 0;
    while (out_.size() < kRecordSize) {
      const uint8_t* data = nullptr;
      const ssize_t length = nghttp2_session_mem_send(session_, &data);
      if (length < 0) {
        error_ = std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(length));
        return Result::kError;
      }
      if (length == 0) break;
      if (out_.empty() && static_cast<size_t>(length) >= kRecordSize) {
        direct = data;
        direct_length = static_cast<size_t>(length);
        break;
      }
      out_.insert(out_.end(), data, data + length);
    }
    if (direct != nullptr) {
      const size_t written = tls_->Write(direct, direct_length, &status);
      bytes_sent_ += written;
      sent += written;
      if (status != TlsStatus::kOk) {
        // The rest must be offered again; nghttp2's buffer will not hold it: keep a copy.
        out_.assign(direct + written, direct + direct_length);
        out_offset_ = 0;
        if (status == TlsStatus::kWantWrite || status == TlsStatus::kWantRead) {
          blocked_ = true;
          return Result::kOk;
        }
        error_ = tls_->error();
        return status == TlsStatus::kClosed ? Result::kClosed : Result::kError;
      }
      continue;
    }
    if (out_.empty()) return Result::kOk;  // nothing more to send
    const size_t before = out_.size() - out_offset_;
    const bool all = WriteOut(&status);
    sent += before - (out_.size() - out_offset_);
    if (!all) {
      if (status == TlsStatus::kWantWrite || status == TlsStatus::kWantRead) {
        blocked_ = true;
        return Result::kOk;
      }
      error_ = tls_->error();
      return status == TlsStatus::kClosed ? Result::kClosed : Result::kError;
    }
  }
}

}  // namespace passerelle::core
