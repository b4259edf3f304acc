#include "request_head.h"

#include <cstring>

namespace passerelle::gateway::http1 {

namespace {

// RFC 9110 §5.6.2 tchar.
bool is_tchar(uint8_t c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// A field value's characters (RFC 9110 §5.5): VCHAR, obs-text, SP, HTAB.
bool is_field_char(uint8_t c) { return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f); }

// A request-target's characters: visible ASCII only (RFC 3986 allows nothing else unencoded).
bool is_target_char(uint8_t c) { return c >= 0x21 && c <= 0x7e; }

uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c | 0x20) : c; }

// Whether a comma-separated list (Connection) holds `token`, case-insensitively.
bool list_has_token(std::string_view list, std::string_view token) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (equals_ignore_case(item, token)) return true;
    start = comma + 1;
  }
  return false;
}

constexpr uint64_t kMaxContentLength = uint64_t{1} << 53;

}  // namespace

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (lower(static_cast<uint8_t>(a[i])) != lower(static_cast<uint8_t>(b[i]))) return false;
  }
  return true;
}

std::string_view RequestHead::header(std::string_view name) const {
  for (size_t i = 0; i < header_count; i++) {
    if (equals_ignore_case(headers[i].name, name)) return headers[i].value;
  }
  return {};
}

bool RequestHead::has_header(std::string_view name) const {
  for (size_t i = 0; i < header_count; i++) {
    if (equals_ignore_case(headers[i].name, name)) return true;
  }
  return false;
}

size_t find_head_end(const uint8_t* data, size_t length, size_t* scanned) {
  // Resume three bytes back: the blank line may straddle the previous chunk's end.
  size_t from = *scanned > 3 ? *scanned - 3 : 0;
  if (length < 4 || from > length - 4) {
    *scanned = length;
    return 0;
  }
  const void* found = memmem(data + from, length - from, "\r\n\r\n", 4);
  if (found == nullptr) {
    *scanned = length;
    return 0;
  }
  size_t end = static_cast<size_t>(static_cast<const uint8_t*>(found) - data) + 4;
  *scanned = end;
  return end;
}

HeadStatus parse_request_head(const uint8_t* data, size_t head_length, RequestHead* out) {
  out->header_count = 0;
  out->framing = BodyFraming::kNone;
  out->content_length = 0;
  out->close_after = false;
  out->head_length = head_length;
  size_t pos = 0;
  const size_t end = head_length;
  // RFC 9112 §2.2: empty lines before a request line are ignored (a client's stray CRLF
  // after a body).
  for (int skipped = 0; skipped < 2 && pos + 1 < end && data[pos] == '\r' && data[pos + 1] == '\n';
       skipped++) {
    pos += 2;
  }

  // Request line: method SP request-target SP HTTP-version CRLF.
  size_t start = pos;
  while (pos < end && is_tchar(data[pos])) pos++;
  if (pos == start || pos >= end || data[pos] != ' ') return HeadStatus::kMalformed;
  out->method = std::string_view(reinterpret_cast<const char*>(data + start), pos - start);
  start = ++pos;
  while (pos < end && is_target_char(data[pos])) pos++;
  if (pos == start || pos >= end || data[pos] != ' ') return HeadStatus::kMalformed;
  out->target = std::string_view(reinterpret_cast<const char*>(data + start), pos - start);
  pos++;
  if (end - pos < 10 || std::memcmp(data + pos, "HTTP/1.", 7) != 0) return HeadStatus::kMalformed;
  uint8_t minor = data[pos + 7];
  if (minor != '0' && minor != '1') return HeadStatus::kMalformed;
  out->minor_version = minor - '0';
  pos += 8;
  if (data[pos] != '\r' || data[pos + 1] != '\n') return HeadStatus::kMalformed;
  pos += 2;

  bool seen_length = false;
  bool seen_encoding = false;
  std::string_view connection;
  // Header fields until the blank line.
  for (;;) {
    if (end - pos < 2) return HeadStatus::kMalformed;
    if (data[pos] == '\r' && data[pos + 1] == '\n') {
      pos += 2;
      break;
    }
    start = pos;
    while (pos < end && is_tchar(data[pos])) pos++;
    // No name, whitespace before the colon (RFC 9112 §5.1), or an obs-fold line: all 400.
    if (pos == start || pos >= end || data[pos] != ':') return HeadStatus::kMalformed;
    std::string_view name(reinterpret_cast<const char*>(data + start), pos - start);
    pos++;
    while (pos < end && (data[pos] == ' ' || data[pos] == '\t')) pos++;
    start = pos;
    while (pos < end && is_field_char(data[pos])) pos++;
    if (end - pos < 2 || data[pos] != '\r' || data[pos + 1] != '\n') return HeadStatus::kMalformed;
    size_t value_end = pos;
    while (value_end > start && (data[value_end - 1] == ' ' || data[value_end - 1] == '\t')) {
      value_end--;
    }
    std::string_view value(reinterpret_cast<const char*>(data + start), value_end - start);
    pos += 2;
    if (out->header_count == kMaxHeaders) return HeadStatus::kTooLarge;
    out->headers[out->header_count++] = HeaderField{name, value};

    if (equals_ignore_case(name, "content-length")) {
      if (seen_length || value.empty() || value.size() > 16) return HeadStatus::kMalformed;
      uint64_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return HeadStatus::kMalformed;
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      if (n > kMaxContentLength) return HeadStatus::kMalformed;
      seen_length = true;
      out->content_length = n;
    } else if (equals_ignore_case(name, "transfer-encoding")) {
      if (seen_encoding) return HeadStatus::kMalformed;
      seen_encoding = true;
      if (!equals_ignore_case(value, "chunked")) return HeadStatus::kUnsupported;
    } else if (equals_ignore_case(name, "connection")) {
      if (connection.empty()) connection = value;
    }
  }
  if (pos != end) return HeadStatus::kMalformed;

  // Both framings at once is how requests are smuggled (RFC 9112 §6.3): refuse.
  if (seen_length && seen_encoding) return HeadStatus::kMalformed;
  if (seen_encoding && out->minor_version == 0) return HeadStatus::kMalformed;
  if (seen_encoding) out->framing = BodyFraming::kChunked;
  else if (seen_length && out->content_length > 0) out->framing = BodyFraming::kLength;

  if (out->minor_version == 0) {
    out->close_after = !list_has_token(connection, "keep-alive");
  } else {
    out->close_after = list_has_token(connection, "close");
  }
  return HeadStatus::kComplete;
}

}  // namespace passerelle::gateway::http1
