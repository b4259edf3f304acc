// A strict HTTP/1.1 request-head parser for the gateway's HTTP/1.1 front (RFC 9112 §2-§5):
// request line, header fields, the framing of the body. It reads untrusted bytes and is
// fuzzed (test/fuzz_http1.cc).
//
// Promises:
// - Linear time: `find_head_end` remembers where it stopped looking, so a head that arrives
//   one byte at a time is scanned once; `parse_request_head` runs once per complete head.
// - No allocation: names and values are views into the caller's buffer.
// - Anything RFC 9112 lets a server reject is rejected: bare LF, obs-fold, whitespace before
//   the colon, control characters, a method or name that is not a token, conflicting
//   Content-Length values, Transfer-Encoding other than "chunked", both framings at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace passerelle::gateway::http1 {

inline constexpr size_t kMaxHeaders = 64;

struct HeaderField {
  std::string_view name;  // as sent (compare case-insensitively)
  std::string_view value;  // leading and trailing whitespace removed
};

enum class BodyFraming : uint8_t { kNone, kLength, kChunked };

struct RequestHead {
  std::string_view method;
  std::string_view target;
  int minor_version = 1;  // HTTP/1.<minor>
  HeaderField headers[kMaxHeaders];
  size_t header_count = 0;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool close_after = false;  // "Connection: close", or HTTP/1.0 without keep-alive
  size_t head_length = 0;  // bytes of the head, the blank line included

  // The first field with this name (case-insensitive), or an empty view when absent.
  // Repeated fields are ignored past the first, as Node did for the ones we read.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

enum class HeadStatus : uint8_t {
  kComplete,
  kIncomplete,  // need more bytes
  kMalformed,  // answer 400 and close
  kTooLarge,  // head longer than the limit or too many fields: 431 and close
  kUnsupported,  // a Transfer-Encoding we do not implement: 501 and close
};

// Looks for the blank line that ends a head in `data[0, length)`, starting at `*scanned`
// (updated so the next call resumes there). Returns the head's length, or 0 when the end is
// not there yet.
size_t find_head_end(const uint8_t* data, size_t length, size_t* scanned);

// Parses a complete head of `head_length` bytes (as found by find_head_end).
HeadStatus parse_request_head(const uint8_t* data, size_t head_length, RequestHead* out);

// Case-insensitive ASCII comparison.
bool equals_ignore_case(std::string_view a, std::string_view b);

}  // namespace passerelle::gateway::http1
