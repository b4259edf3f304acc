// Fuzz target: the HTTP/1.1 front's parsers (request head, chunked body), fed as they are
// fed on a connection: the input cut into pieces at positions the input itself chooses.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../http1/chunked.h"
#include "../http1/request_head.h"

using namespace passerelle::gateway::http1;

namespace {

struct CountingSink : BodySink {
  size_t bytes = 0;
  void append(const uint8_t*, size_t length) override { bytes += length; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 64;
  data++;
  size--;
  std::vector<uint8_t> buffer;
  size_t scanned = 0;
  size_t pos = 0;
  size_t head_end = 0;
  while (pos < size && head_end == 0) {
    size_t n = size - pos < step ? size - pos : step;
    buffer.insert(buffer.end(), data + pos, data + pos + n);
    pos += n;
    head_end = find_head_end(buffer.data(), buffer.size(), &scanned);
  }
  if (head_end == 0) return 0;
  RequestHead head;
  if (parse_request_head(buffer.data(), head_end, &head) != HeadStatus::kComplete) return 0;
  (void)head.header("authorization");
  if (head.framing != BodyFraming::kChunked) return 0;
  ChunkedDecoder decoder;
  CountingSink sink;
  // The body: what followed the head, in the same steps.
  std::vector<uint8_t> rest(buffer.begin() + static_cast<std::ptrdiff_t>(head_end), buffer.end());
  rest.insert(rest.end(), data + pos, data + size);
  for (size_t at = 0; at < rest.size(); at += step) {
    size_t n = rest.size() - at < step ? rest.size() - at : step;
    size_t consumed = 0;
    auto status = decoder.feed(rest.data() + at, n, &consumed, &sink);
    if (status != ChunkedDecoder::Status::kMore) break;
  }
  return 0;
}
