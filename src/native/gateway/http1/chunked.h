// Streaming decoder of the chunked transfer coding (RFC 9112 §7.1) for request bodies sent
// to the HTTP/1.1 front. Untrusted bytes: bounded, linear, fuzzed (test/fuzz_http1.cc).
//
// Promises: each input byte is looked at once, whatever the chunking of the input; a size
// line, chunk extensions and the trailer section are bounded (kMaxLineBytes, kMaxTrailerBytes);
// a size that does not fit 60 bits, a missing CRLF after chunk data, or a bare LF is
// malformed. Trailer fields are read and dropped.
#pragma once

#include <cstddef>
#include <cstdint>

namespace passerelle::gateway::http1 {

class BodySink {
 public:
  virtual void append(const uint8_t* data, size_t length) = 0;

 protected:
  ~BodySink() = default;
};

class ChunkedDecoder {
 public:
  static constexpr size_t kMaxLineBytes = 1024;
  static constexpr size_t kMaxTrailerBytes = 8192;

  enum class Status : uint8_t { kMore, kDone, kMalformed };

  // Feeds `length` bytes; decoded body bytes go to `sink`. `*consumed` is set to the bytes
  // used: all of them unless the body ended (kDone) within them, where the rest belongs to
  // the next request.
  Status feed(const uint8_t* data, size_t length, size_t* consumed, BodySink* sink);

 private:
  enum class State : uint8_t {
    kSize,  // hex digits of a chunk size
    kExtension,  // ";ext" up to CR
    kSizeLf,  // LF after the size line
    kData,
    kDataCr,
    kDataLf,
    kTrailerLineStart,  // a trailer field, or the CRLF that ends the body
    kTrailerLine,
    kTrailerLf,
    kFinalLf,
    kDone,
    kMalformed,
  };

  State state_ = State::kSize;
  uint64_t remaining_ = 0;  // bytes left in the current chunk
  size_t size_digits_ = 0;
  size_t line_bytes_ = 0;
  size_t trailer_bytes_ = 0;
};

}  // namespace passerelle::gateway::http1
