#include "byte_queue.h"

#include <cstring>

namespace passerelle::core {

BlockPool::~BlockPool() {
  for (uint8_t* block : free_) delete[] block;
}

uint8_t* BlockPool::Take() {
  in_use_++;
  if (free_.empty()) return new uint8_t[kBlockSize];
  uint8_t* block = free_.back();
  free_.pop_back();
  return block;
}

void BlockPool::Give(uint8_t* block) {
  in_use_--;
  if (free_.size() >= max_free_) {
    delete[] block;
    return;
  }
  free_.push_back(block);
}

size_t ByteQueue::Append(const uint8_t* data, size_t length) {
  if (size_ >= limit_) return 0;
  if (length > limit_ - size_) length = limit_ - size_;
  size_t taken = 0;
  while (taken < length) {
    // Bytes sit at [head_, head_ + size_) of the blocks laid end to end.
    const size_t end = head_ + size_;
    if (end == blocks_.size() * BlockPool::kBlockSize) blocks_.push_back(pool_->Take());
    const size_t position = end - (blocks_.size() - 1) * BlockPool::kBlockSize;
    const size_t room = BlockPool::kBlockSize - position;
    const size_t chunk = length - taken < room ? length - taken : room;
    std::memcpy(blocks_.back() + position, data + taken, chunk);
    taken += chunk;
    size_ += chunk;
  }
  return taken;
}

size_t ByteQueue::Read(uint8_t* out, size_t length) {
  size_t copied = 0;
  while (copied < length && size_ > 0) {
    const size_t in_block = BlockPool::kBlockSize - head_;
    size_t chunk = in_block < size_ ? in_block : size_;
    if (chunk > length - copied) chunk = length - copied;
    std::memcpy(out + copied, blocks_.front() + head_, chunk);
    copied += chunk;
    Consume(chunk);
  }
  return copied;
}

int ByteQueue::Peek(struct iovec* iov, int max) const {
  int count = 0;
  size_t left = size_;
  size_t offset = head_;
  for (size_t i = 0; i < blocks_.size() && count < max && left > 0; i++) {
    const size_t in_block = BlockPool::kBlockSize - offset;
    const size_t chunk = in_block < left ? in_block : left;
    iov[count].iov_base = blocks_[i] + offset;
    iov[count].iov_len = chunk;
    count++;
    left -= chunk;
    offset = 0;
  }
  return count;
}

void ByteQueue::Consume(size_t length) {
  if (length > size_) length = size_;
  size_ -= length;
  head_ += length;
  while (!blocks_.empty() && head_ >= BlockPool::kBlockSize) {
    pool_->Give(blocks_.front());
    blocks_.pop_front();
    head_ -= BlockPool::kBlockSize;
  }
  if (size_ == 0) {
    // Keep nothing: an idle flow holds no block.
    for (uint8_t* block : blocks_) pool_->Give(block);
    blocks_.clear();
    head_ = 0;
  }
}

void ByteQueue::Clear() { Consume(size_); }

}  // namespace passerelle::core
