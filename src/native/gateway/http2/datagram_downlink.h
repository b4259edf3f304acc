// Capsules on their way to the client, for connect-udp and connect-ip streams: a bounded queue
// that the stream's nghttp2 data source reads.
//
// Promises:
// - At most kMaxQueued bytes wait; a capsule that would pass it is refused whole (the caller
//   drops and counts it: UDP and ICMP may lose, they may not grow without bound).
// - The queue's blocks go back to the worker's pool as soon as it is empty: an idle stream
//   holds none.
// - Read() gives queued bytes, then end-of-stream once End() was called, and otherwise defers
//   the stream; TakeResume() says once that a deferred stream has something new to send.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "byte_queue.h"

namespace passerelle::gateway {

class DatagramDownlink {
 public:
  static constexpr size_t kMaxQueued = 1024 * 1024;

  // Queues one DATAGRAM capsule (context ID 0) carrying `payload`; false past the cap.
  bool QueueDatagram(core::BlockPool* pool, const uint8_t* payload, size_t length);
  // Queues one capsule of `type` with `value`; false past the cap.
  bool QueueCapsule(core::BlockPool* pool, uint64_t type, const uint8_t* value, size_t length);
  // nghttp2's read callback: bytes, NGHTTP2_DATA_FLAG_EOF, or NGHTTP2_ERR_DEFERRED.
  ssize_t Read(uint8_t* buffer, size_t length, uint32_t* flags);
  void End() { ending_ = true; }
  // True once after a deferral when there is something to send (new bytes or the end).
  bool TakeResume();

 private:
  bool QueueFramed(core::BlockPool* pool, const uint8_t* header, size_t header_length,
                   const uint8_t* value, size_t length);

  std::unique_ptr<core::ByteQueue> queue_;
  bool deferred_ = false;
  bool ending_ = false;
};

}  // namespace passerelle::gateway
