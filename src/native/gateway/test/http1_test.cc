// The HTTP/1.1 front's parsers with well-formed and hostile heads and bodies.
#include <string>
#include <vector>

#include "../http1/chunked.h"
#include "../http1/request_head.h"
#include "check.h"

using namespace passerelle::gateway::http1;

namespace {

// The head's views point into `text`: it is kept until the next call.
HeadStatus parse(const std::string& input, RequestHead* head) {
  static std::string text;
  text = input;
  const uint8_t* data = reinterpret_cast<const uint8_t*>(text.data());
  size_t scanned = 0;
  size_t end = find_head_end(data, text.size(), &scanned);
  if (end == 0) return HeadStatus::kIncomplete;
  return parse_request_head(data, end, head);
}

struct StringSink : BodySink {
  std::string body;
  void append(const uint8_t* data, size_t length) override {
    body.append(reinterpret_cast<const char*>(data), length);
  }
};

}  // namespace

TEST(http1_parses_a_connect_request) {
  RequestHead head;
  std::string text =
      "CONNECT 198.18.0.10:80 HTTP/1.1\r\nHost: 198.18.0.10:80\r\n"
      "Proxy-Authorization:   Bearer abc  \r\nUser-Agent: curl/7.88.1\r\n\r\nextra";
  CHECK(parse(text, &head) == HeadStatus::kComplete);
  CHECK(head.method == "CONNECT");
  CHECK(head.target == "198.18.0.10:80");
  CHECK_EQ(head.minor_version, 1);
  CHECK_EQ(head.header_count, 3u);
  CHECK(head.header("proxy-authorization") == "Bearer abc");
  CHECK(head.header("PROXY-AUTHORIZATION") == "Bearer abc");
  CHECK(head.header("authorization").empty());
  CHECK(head.framing == BodyFraming::kNone);
  CHECK(!head.close_after);
  CHECK_EQ(head.head_length, text.size() - 5);
}

TEST(http1_parses_framing_and_connection) {
  RequestHead head;
  CHECK(parse("POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 42\r\n"
              "Connection: keep-alive, close\r\n\r\n",
              &head) == HeadStatus::kComplete);
  CHECK(head.framing == BodyFraming::kLength);
  CHECK_EQ(head.content_length, 42u);
  CHECK(head.close_after);
  CHECK(parse("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", &head) ==
        HeadStatus::kComplete);
  CHECK(head.framing == BodyFraming::kChunked);
  CHECK(parse("GET / HTTP/1.0\r\n\r\n", &head) == HeadStatus::kComplete);
  CHECK(head.close_after);
  CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &head) ==
        HeadStatus::kComplete);
  CHECK(!head.close_after);
  CHECK(parse("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &head) == HeadStatus::kComplete);
  CHECK(head.framing == BodyFraming::kNone);
  // A stray CRLF before the request line (after a previous body) is ignored.
  CHECK(parse("\r\nGET / HTTP/1.1\r\n\r\n", &head) == HeadStatus::kComplete);
  CHECK(head.method == "GET");
}

TEST(http1_refuses_malformed_heads) {
  RequestHead head;
  const char* bad[] = {
      "GET / HTTP/1.1\nHost: x\r\n\r\n",  // bare LF
      "GET  / HTTP/1.1\r\n\r\n",  // two spaces
      "GET / HTTP/2.0\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : x\r\n\r\n",  // space before the colon
      "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",  // obs-fold
      "GET / HTTP/1.1\r\nBad\x01Name: x\r\n\r\n",
      "GET / HTTP/1.1\r\nX: a\x7f b\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET /a\x80 HTTP/1.1\r\n\r\n",
      ": x\r\n\r\n",
      "\r\n\r\n",
  };
  for (const char* text : bad) {
    HeadStatus status = parse(text, &head);
    CHECK(status == HeadStatus::kMalformed);
    if (status != HeadStatus::kMalformed) std::fprintf(stderr, "  accepted: %s\n", text);
  }
  CHECK(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &head) ==
        HeadStatus::kUnsupported);
  std::string many = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i <= kMaxHeaders; i++) many += "X-A: b\r\n";
  many += "\r\n";
  CHECK(parse(many, &head) == HeadStatus::kTooLarge);
}

TEST(http1_finds_the_end_of_a_head_sent_byte_by_byte) {
  std::string text = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET";
  std::vector<uint8_t> buffer;
  size_t scanned = 0;
  size_t found = 0;
  for (char c : text) {
    buffer.push_back(static_cast<uint8_t>(c));
    size_t end = find_head_end(buffer.data(), buffer.size(), &scanned);
    if (end != 0 && found == 0) found = end;
  }
  CHECK_EQ(found, text.size() - 3);
}

TEST(http1_decodes_chunked_bodies_in_any_split) {
  std::string body = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: y\r\n\r\nNEXT";
  for (size_t split = 0; split < body.size() - 4; split++) {
    ChunkedDecoder decoder;
    StringSink sink;
    size_t consumed = 0;
    auto first = decoder.feed(reinterpret_cast<const uint8_t*>(body.data()), split, &consumed,
                              &sink);
    CHECK(first == ChunkedDecoder::Status::kMore);
    CHECK_EQ(consumed, split);
    auto second = decoder.feed(reinterpret_cast<const uint8_t*>(body.data()) + split,
                               body.size() - split, &consumed, &sink);
    CHECK(second == ChunkedDecoder::Status::kDone);
    CHECK_EQ(split + consumed, body.size() - 4);
    CHECK(sink.body == "Wikipedia in\r\n\r\nchunks.");
  }
}

TEST(http1_refuses_malformed_chunked_bodies) {
  const char* bad[] = {
      "x\r\n",  // not hex
      "\r\n",  // no size
      "4\r\nWikiXX",  // no CRLF after the data
      "4\nWiki\r\n",  // bare LF
      "1000000000000000\r\n",  // 16 hex digits
      "0\r\nX: y\n",  // bare LF in a trailer
  };
  for (const char* text : bad) {
    ChunkedDecoder decoder;
    StringSink sink;
    size_t consumed;
    std::string s(text);
    CHECK(decoder.feed(reinterpret_cast<const uint8_t*>(s.data()), s.size(), &consumed, &sink) ==
          ChunkedDecoder::Status::kMalformed);
  }
  // A chunk extension longer than the line limit.
  std::string ext = "1;" + std::string(ChunkedDecoder::kMaxLineBytes, 'a') + "\r\n";
  ChunkedDecoder decoder;
  StringSink sink;
  size_t consumed;
  CHECK(decoder.feed(reinterpret_cast<const uint8_t*>(ext.data()), ext.size(), &consumed,
                     &sink) == ChunkedDecoder::Status::kMalformed);
}
