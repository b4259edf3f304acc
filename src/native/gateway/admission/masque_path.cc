#include "masque_path.h"

namespace passerelle::gateway::admission {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
bool is_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t min;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      min = 0x80;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      min = 0x800;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; k++) {
      uint8_t d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

bool all_digits(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

unsigned to_number(std::string_view s) {
  unsigned n = 0;
  for (char c : s) n = n * 10 + static_cast<unsigned>(c - '0');
  return n;
}

MasqueTarget invalid(const char* reason) {
  MasqueTarget t;
  t.reason = reason;
  return t;
}

}  // namespace

bool percent_decode(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] != '%') {
      out->push_back(text[i]);
      continue;
    }
    if (text.size() - i < 3) return false;
    int high = hex_value(text[i + 1]);
    int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return false;
    out->push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return is_utf8(*out);
}

MasqueTarget parse_masque_path(bool is_udp, std::string_view path) {
  size_t query = path.find('?');
  if (query != std::string_view::npos) path = path.substr(0, query);
  // "", ".well-known", "masque", kind, first, second[, ""]
  std::string_view parts[8];
  size_t count = 0;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    if (count == 8) return invalid("unexpected path");
    parts[count++] = path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (count < 6 || count > 7 || !parts[0].empty() || parts[1] != ".well-known" ||
      parts[2] != "masque") {
    return invalid("unexpected path");
  }
  if (count == 7 && !parts[6].empty()) return invalid("unexpected path");
  std::string first;
  std::string second;
  if (!percent_decode(parts[4], &first) || !percent_decode(parts[5], &second)) {
    return invalid("bad percent-encoding in path");
  }
  if (is_udp && parts[3] == "udp") {
    if (!all_digits(second, 5) || to_number(second) < 1 || to_number(second) > 65535) {
      return invalid("bad target port");
    }
    if (first.empty() || first.size() > 253) return invalid("bad target host");
    MasqueTarget t;
    t.kind = MasqueKind::kUdp;
    t.host = std::move(first);
    t.port = static_cast<uint16_t>(to_number(second));
    return t;
  }
  if (!is_udp && parts[3] == "ip") {
    int ipproto = -1;
    if (second != "*") {
      if (!all_digits(second, 3) || to_number(second) > 255) return invalid("bad ipproto");
      ipproto = static_cast<int>(to_number(second));
    }
    if (first.empty()) return invalid("bad target");
    MasqueTarget t;
    t.kind = MasqueKind::kIp;
    t.host = std::move(first);
    t.ipproto = ipproto;
    return t;
  }
  return invalid("path does not match :protocol");
}

}  // namespace passerelle::gateway::admission
