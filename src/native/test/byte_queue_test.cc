// Bounded byte queues over the block pool (core/byte_queue.h).
#include <string>
#include <vector>

#include "byte_queue.h"
#include "check.h"

using namespace passerelle::core;

TEST(queue_keeps_order_across_blocks_and_respects_its_limit) {
  BlockPool pool(4);
  ByteQueue queue(&pool, 50000);
  std::vector<uint8_t> data(70000);
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<uint8_t>(i * 13);
  CHECK_EQ(queue.Append(data.data(), 30000), 30000u);
  CHECK_EQ(queue.Append(data.data() + 30000, 40000), 20000u);  // the limit
  CHECK_EQ(queue.size(), 50000u);
  CHECK(!queue.Fits(1));
  CHECK_EQ(queue.Append(data.data(), 1), 0u);
  std::vector<uint8_t> out(50000);
  CHECK_EQ(queue.Read(out.data(), 12345), 12345u);
  struct iovec iov[8];
  const int count = queue.Peek(iov, 8);
  size_t peeked = 0;
  for (int i = 0; i < count; i++) peeked += iov[i].iov_len;
  CHECK_EQ(peeked, 50000u - 12345u);
  CHECK(static_cast<uint8_t*>(iov[0].iov_base)[0] == data[12345]);
  CHECK_EQ(queue.Read(out.data() + 12345, 100000), 50000u - 12345u);
  CHECK(std::equal(out.begin(), out.end(), data.begin()));
  CHECK(queue.empty());
  CHECK_EQ(pool.blocks_in_use(), 0u);  // an empty queue holds no block
  CHECK(pool.free_blocks() <= 4u);    // the pool keeps at most its cap
}

TEST(queue_consume_and_clear_give_blocks_back) {
  BlockPool pool;
  {
    ByteQueue queue(&pool, 1 << 20);
    std::string text(100000, 'q');
    queue.Append(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    CHECK(pool.blocks_in_use() >= 6u);
    queue.Consume(BlockPool::kBlockSize + 1);
    CHECK_EQ(queue.size(), 100000u - BlockPool::kBlockSize - 1);
    // Appending after consuming continues in the tail block.
    queue.Append(reinterpret_cast<const uint8_t*>("end"), 3);
    std::vector<uint8_t> out(queue.size());
    CHECK_EQ(queue.Read(out.data(), out.size()), out.size());
    CHECK(out[out.size() - 1] == 'd' && out[out.size() - 4] == 'q');
    queue.Append(reinterpret_cast<const uint8_t*>(text.data()), 10);
  }
  CHECK_EQ(pool.blocks_in_use(), 0u);  // the destructor cleared it
}
