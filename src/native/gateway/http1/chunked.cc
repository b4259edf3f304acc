#include "chunked.h"

namespace passerelle::gateway::http1 {

namespace {

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ChunkedDecoder::Status ChunkedDecoder::feed(const uint8_t* data, size_t length,
                                            size_t* consumed, BodySink* sink) {
  size_t pos = 0;
  auto fail = [&]() {
    state_ = State::kMalformed;
    *consumed = pos;
    return Status::kMalformed;
  };
  while (pos < length) {
    const uint8_t c = data[pos];
    switch (state_) {
      case State::kSize: {
        int v = hex_value(c);
        if (v >= 0) {
          // 15 hex digits = 60 bits: no real body is near it, and the sum cannot overflow.
          if (++size_digits_ > 15) return fail();
          remaining_ = (remaining_ << 4) | static_cast<uint64_t>(v);
          pos++;
          break;
        }
        if (size_digits_ == 0) return fail();
        if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::kExtension;
          line_bytes_ = size_digits_;
          break;  // the extension state consumes this byte
        }
        if (c != '\r') return fail();
        state_ = State::kSizeLf;
        pos++;
        break;
      }
      case State::kExtension:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == '\n' || c < 0x09 || (c > 0x09 && c < 0x20) || c == 0x7f ||
                   ++line_bytes_ > kMaxLineBytes) {
          return fail();
        }
        pos++;
        break;
      case State::kSizeLf:
        if (c != '\n') return fail();
        pos++;
        size_digits_ = 0;
        if (remaining_ == 0) {
          state_ = State::kTrailerLineStart;
          trailer_bytes_ = 0;
        } else {
          state_ = State::kData;
        }
        break;
      case State::kData: {
        size_t available = length - pos;
        size_t take = remaining_ < available ? static_cast<size_t>(remaining_) : available;
        sink->append(data + pos, take);
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return fail();
        state_ = State::kDataLf;
        pos++;
        break;
      case State::kDataLf:
        if (c != '\n') return fail();
        state_ = State::kSize;
        pos++;
        break;
      case State::kTrailerLineStart:
        if (c == '\r') {
          state_ = State::kFinalLf;
          pos++;
          break;
        }
        state_ = State::kTrailerLine;
        break;
      case State::kTrailerLine:
        if (++trailer_bytes_ > kMaxTrailerBytes) return fail();
        if (c == '\r') state_ = State::kTrailerLf;
        else if (c == '\n' || c == 0 || c == 0x7f) return fail();
        pos++;
        break;
      case State::kTrailerLf:
        if (c != '\n') return fail();
        state_ = State::kTrailerLineStart;
        pos++;
        break;
      case State::kFinalLf:
        if (c != '\n') return fail();
        state_ = State::kDone;
        pos++;
        *consumed = pos;
        return Status::kDone;
      case State::kDone:
        *consumed = pos;
        return Status::kDone;
      case State::kMalformed:
        return fail();
    }
  }
  *consumed = pos;
  if (state_ == State::kDone) return Status::kDone;
  if (state_ == State::kMalformed) return Status::kMalformed;
  return Status::kMore;
}

}  // namespace passerelle::gateway::http1
