#include "datagram_downlink.h"

#include <nghttp2/nghttp2.h>

#include "capsule.h"

namespace passerelle::gateway {

bool DatagramDownlink::QueueDatagram(core::BlockPool* pool, const uint8_t* payload,
                                     size_t length) {
  uint8_t header[core::kMaxDatagramHeader];
  return QueueFramed(pool, header, core::WriteDatagramHeader(header, length), payload, length);
}

bool DatagramDownlink::QueueCapsule(core::BlockPool* pool, uint64_t type, const uint8_t* value,
                                    size_t length) {
  uint8_t header[16];
  size_t n = core::WriteVarint(header, type);
  n += core::WriteVarint(header + n, length);
  return QueueFramed(pool, header, n, value, length);
}

bool DatagramDownlink::QueueFramed(core::BlockPool* pool, const uint8_t* header,
                                   size_t header_length, const uint8_t* value, size_t length) {
  const size_t queued = queue_ ? queue_->size() : 0;
  if (queued + header_length + length > kMaxQueued) return false;
  if (!queue_) queue_ = std::make_unique<core::ByteQueue>(pool, kMaxQueued);
  queue_->Append(header, header_length);
  queue_->Append(value, length);
  return true;
}

ssize_t DatagramDownlink::Read(uint8_t* buffer, size_t length, uint32_t* flags) {
  if (queue_ && !queue_->empty()) {
    const size_t n = queue_->Read(buffer, length);
    if (queue_->empty()) queue_.reset();
    return static_cast<ssize_t>(n);
  }
  if (ending_) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  deferred_ = true;
  return NGHTTP2_ERR_DEFERRED;
}

bool DatagramDownlink::TakeResume() {
  if (!deferred_) return false;
  deferred_ = false;
  return true;
}

}  // namespace passerelle::gateway
