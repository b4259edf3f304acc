#include "wire.h"

namespace passerelle::gateway::control {

void Writer::begin(uint8_t type) {
  start_ = out_->size();
  out_->resize(start_ + 4);
  out_->push_back(type);
}

void Writer::end() {
  uint32_t length = static_cast<uint32_t>(out_->size() - start_ - 4);
  for (int i = 0; i < 4; i++) (*out_)[start_ + i] = static_cast<uint8_t>(length >> (8 * i));
}

void Writer::u16(uint16_t v) {
  uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  out_->insert(out_->end(), b, b + 2);
}

void Writer::u32(uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++) b[i] = static_cast<uint8_t>(v >> (8 * i));
  out_->insert(out_->end(), b, b + 4);
}

void Writer::u64(uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = static_cast<uint8_t>(v >> (8 * i));
  out_->insert(out_->end(), b, b + 8);
}

void Writer::bytes(const void* data, size_t length) {
  u32(static_cast<uint32_t>(length));
  const uint8_t* p = static_cast<const uint8_t*>(data);
  out_->insert(out_->end(), p, p + length);
}

bool Reader::take(size_t n) {
  if (!ok_ || left_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

uint8_t Reader::u8() {
  if (!take(1)) return 0;
  uint8_t v = p_[0];
  p_ += 1;
  left_ -= 1;
  return v;
}

uint16_t Reader::u16() {
  if (!take(2)) return 0;
  uint16_t v = static_cast<uint16_t>(p_[0] | (p_[1] << 8));
  p_ += 2;
  left_ -= 2;
  return v;
}

uint32_t Reader::u32() {
  if (!take(4)) return 0;
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p_[i];
  p_ += 4;
  left_ -= 4;
  return v;
}

uint64_t Reader::u64() {
  if (!take(8)) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p_[i];
  p_ += 8;
  left_ -= 8;
  return v;
}

std::string_view Reader::bytes() {
  uint32_t n = u32();
  if (!take(n)) return {};
  std::string_view v(reinterpret_cast<const char*>(p_), n);
  p_ += n;
  left_ -= n;
  return v;
}

const uint8_t* Reader::raw(size_t n) {
  if (!take(n)) return nullptr;
  const uint8_t* v = p_;
  p_ += n;
  left_ -= n;
  return v;
}

void FrameSplitter::feed(const uint8_t* data, size_t length) {
  // Drop what was consumed before appending, so the buffer holds at most one partial frame
  // plus the new bytes.
  if (offset_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_));
    offset_ = 0;
  }
  buffer_.insert(buffer_.end(), data, data + length);
}

FrameSplitter::Status FrameSplitter::next(uint8_t* type, const uint8_t** fields, size_t* length) {
  size_t available = buffer_.size() - offset_;
  if (available < 4) return Status::kNeedMore;
  const uint8_t* p = buffer_.data() + offset_;
  uint32_t size = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
  if (size < 1 || size > kMaxFrame) return Status::kTooLarge;
  if (available < 4 + size) return Status::kNeedMore;
  *type = buffer_[offset_ + 4];
  *fields = buffer_.data() + offset_ + kFrameHeader;
  *length = size - 1;
  offset_ += 4 + size;
  return Status::kMessage;
}

}  // namespace passerelle::gateway::control
