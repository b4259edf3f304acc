// The framing of the channel between the TypeScript control plane and the data plane
// (docs/gateway-dataplane.md): each message is a u32 length (of what follows), a u8 type and
// fields written one after the other, little-endian. Variable-length fields (bytes,
// strings) are a u32 length and the bytes. src/native/gateway-wire.ts is the other end.
//
// Promises: a Reader never reads past its message and turns bad after the first field that
// does not fit (every later read returns zero/empty); a FrameSplitter refuses a frame longer
// than kMaxFrame instead of buffering it, and moves each byte at most twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace passerelle::gateway::control {

inline constexpr uint32_t kMaxFrame = 16u << 20;
inline constexpr size_t kFrameHeader = 5;  // u32 length + u8 type

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>* out) : out_(out) {}

  // Starts a message of `type`; end() writes its length.
  void begin(uint8_t type);
  void end();

  void u8(uint8_t v) { out_->push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void u64(uint64_t v);
  void bytes(const void* data, size_t length);
  void str(std::string_view s) { bytes(s.data(), s.size()); }

 private:
  std::vector<uint8_t>* out_;
  size_t start_ = 0;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t length) : p_(data), left_(length) {}

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  int32_t i32() { return static_cast<int32_t>(u32()); }
  uint64_t u64();
  std::string_view bytes();
  std::string_view str() { return bytes(); }
  // `n` raw bytes (no length prefix).
  const uint8_t* raw(size_t n);

  bool ok() const { return ok_; }
  size_t remaining() const { return left_; }
  // True when the message was read whole and nothing is left over.
  bool done() const { return ok_ && left_ == 0; }

 private:
  bool take(size_t n);

  const uint8_t* p_;
  size_t left_;
  bool ok_ = true;
};

// Cuts a byte stream into messages.
class FrameSplitter {
 public:
  // Appends bytes read from the channel.
  void feed(const uint8_t* data, size_t length);

  enum class Status : uint8_t { kMessage, kNeedMore, kTooLarge };
  // The next whole message: its type and its fields (valid until the next call to feed or
  // next).
  Status next(uint8_t* type, const uint8_t** fields, size_t* length);

 private:
  std::vector<uint8_t> buffer_;
  size_t offset_ = 0;
};

}  // namespace passerelle::gateway::control
