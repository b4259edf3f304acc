#include "capsule.h"

#include <cstring>

namespace passerelle::core {

size_t VarintLength(uint64_t value) {
  if (value < (1ull << 6)) return 1;
  if (value < (1ull << 14)) return 2;
  if (value < (1ull << 30)) return 4;
  if (value <= kMaxVarint) return 8;
  return 0;
}

size_t WriteVarint(uint8_t* out, uint64_t value) {
  const size_t length = VarintLength(value);
  if (length == 0) return 0;
  for (size_t i = 0; i < length; i++)
    out[i] = static_cast<uint8_t>(value >> (8 * (length - 1 - i)));
  // The two top bits say the length: 00, 01, 10, 11 for 1, 2, 4, 8 bytes.
  const uint8_t prefix = length == 1 ? 0x00 : length == 2 ? 0x40 : length == 4 ? 0x80 : 0xc0;
  out[0] |= prefix;
  return length;
}

size_t ReadVarint(const uint8_t* data, size_t length, uint64_t* value) {
  if (length == 0) return 0;
  const size_t size = size_t{1} << (data[0] >> 6);
  if (size > length) return 0;
  uint64_t v = data[0] & 0x3f;
  for (size_t i = 1; i < size; i++) v = (v << 8) | data[i];
  *value = v;
  return size;
}

size_t WriteDatagramHeader(uint8_t* out, size_t payload_length) {
  size_t at = WriteVarint(out, kCapsuleDatagram);
  const size_t written = WriteVarint(out + at, static_cast<uint64_t>(payload_length) + 1);
  if (written == 0) return 0;
  at += written;
  out[at++] = 0;  // context ID 0
  return at;
}

bool SplitDatagram(const uint8_t* value, size_t length, uint64_t* context_id,
                   const uint8_t** payload, size_t* payload_length) {
  const size_t used = ReadVarint(value, length, context_id);
  if (used == 0) return false;
  *payload = value + used;
  *payload_length = length - used;
  return true;
}

bool CapsuleReader::Feed(const uint8_t* data, size_t length, Sink* sink) {
  size_t at = 0;
  while (at < length) {
    switch (state_) {
      case State::kMalformed:
        return false;
      case State::kHeader: {
        // Parse the header straight from the chunk when it is whole there; otherwise gather
        // its bytes (at most 16) in header_.
        const uint8_t* header = data + at;
        size_t available = length - at;
        if (header_length_ > 0) {
          const size_t take = available < sizeof(header_) - header_length_
                                  ? available
                                  : sizeof(header_) - header_length_;
          std::memcpy(header_ + header_length_, data + at, take);
          header = header_;
          available = header_length_ + take;
        }
        uint64_t type = 0;
        uint64_t value_length = 0;
        const size_t type_size = ReadVarint(header, available, &type);
        const size_t length_size =
            type_size == 0 ? 0 : ReadVarint(header + type_size, available - type_size, &value_length);
        if (length_size == 0) {
          if (header_length_ == 0) {
            std::memcpy(header_, data + at, available);
            header_length_ = available;
          } else {
            header_length_ = available;
          }
          return true;  // everything fed is held: at most 15 bytes
        }
        const size_t header_size = type_size + length_size;
        // Bytes of this chunk the header used (part may have come from earlier chunks).
        at += header_size - header_length_;
        header_length_ = 0;
        if (value_length > max_length_) {
          state_ = State::kMalformed;
          value_.clear();
          value_.shrink_to_fit();
          return false;
        }
        remaining_ = value_length;
        if (type != kCapsuleDatagram) {
          state_ = State::kSkip;
          break;
        }
        if (length - at >= value_length) {
          // Whole in this chunk: no copy.
          sink->OnDatagramCapsule(data + at, static_cast<size_t>(value_length));
          at += static_cast<size_t>(value_length);
          if (state_ == State::kMalformed) return false;
          break;
        }
        value_.clear();
        value_.reserve(static_cast<size_t>(value_length));
        state_ = State::kValue;
        break;
      }
      case State::kValue: {
        const size_t take =
            length - at < remaining_ ? length - at : static_cast<size_t>(remaining_);
        value_.insert(value_.end(), data + at, data + at + take);
        at += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          state_ = State::kHeader;
          sink->OnDatagramCapsule(value_.data(), value_.size());
          value_.clear();
        }
        break;
      }
      case State::kSkip: {
        const size_t take =
            length - at < remaining_ ? length - at : static_cast<size_t>(remaining_);
        at += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kHeader;
        break;
      }
    }
  }
  // A header that ended exactly at the end of a chunk with an empty value is complete.
  if (state_ == State::kSkip && remaining_ == 0) state_ = State::kHeader;
  return state_ != State::kMalformed;
}

}  // namespace passerelle::core
