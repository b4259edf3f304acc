// Bounded per-flow byte queues over a shared pool of fixed-size blocks: what a flow holds when
// its destination cannot take bytes yet (a local socket that is full, a stream waiting for its
// window).
//
// Promises:
// - A queue never holds more than its limit; Append says how much it took and the caller
//   decides (apply back-pressure, or drop and count).
// - Blocks come from the pool's free list; the pool keeps at most `max_free` blocks, so memory
//   returns after a burst. After warm-up the fast path allocates nothing.
// - Single-threaded: a pool and its queues belong to one loop thread.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace passerelle::core {

class BlockPool {
 public:
  static constexpr size_t kBlockSize = 16384;

  explicit BlockPool(size_t max_free = 1024) : max_free_(max_free) {}
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  uint8_t* Take();
  void Give(uint8_t* block);
  size_t free_blocks() const { return free_.size(); }
  size_t blocks_in_use() const { return in_use_; }

 private:
  size_t max_free_;
  size_t in_use_ = 0;
  std::vector<uint8_t*> free_;
};

class ByteQueue {
 public:
  ByteQueue(BlockPool* pool, size_t limit) : pool_(pool), limit_(limit) {}
  ~ByteQueue() { Clear(); }
  ByteQueue(const ByteQueue&) = delete;
  ByteQueue& operator=(const ByteQueue&) = delete;

  // Copies as much of `data` as the limit allows; returns the bytes taken.
  size_t Append(const uint8_t* data, size_t length);
  // Whether `length` more bytes would fit.
  bool Fits(size_t length) const { return size_ + length <= limit_; }
  // Copies up to `length` bytes from the front into `out` and removes them.
  size_t Read(uint8_t* out, size_t length);
  // Fills up to `max` iovecs with the front bytes (for writev); returns how many.
  int Peek(struct iovec* iov, int max) const;
  // Removes `length` bytes from the front (at most size()).
  void Consume(size_t length);
  void Clear();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t limit() const { return limit_; }
  void set_limit(size_t limit) { limit_ = limit; }

 private:
  BlockPool* pool_;
  size_t limit_;
  size_t size_ = 0;
  size_t head_ = 0;  // offset of the first byte in blocks_.front()
  std::deque<uint8_t*> blocks_;
};

}  // namespace passerelle::core
