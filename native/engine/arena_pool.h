// A small pool of batch blocks (a header table followed by packet bytes). The N-API layer hands
// blocks to JS as external ArrayBuffers (../arena.h) and gives them back here when V8 collects
// them; the live capture thread takes its blocks from here.
#pragma once
#include <cstddef>
#include <mutex>
#include <vector>

namespace pcapkit {
namespace engine {

class ArenaPool {
 public:
  // Keeps at most `maxFreeBytes` of free blocks: a count would let large live-capture
  // blocks pile up to many times what a file reader's small ones hold.
  explicit ArenaPool(size_t maxFreeBytes) : maxFreeBytes_(maxFreeBytes) {}
  ~ArenaPool();
  ArenaPool(const ArenaPool&) = delete;
  ArenaPool& operator=(const ArenaPool&) = delete;
  // A block of exactly `size` bytes (pooled when it has the pooled size); nullptr when memory
  // runs out.
  void* Take(size_t size);
  // Called from a finalizer, possibly on a V8 background thread: hence the mutex.
  void Give(void* block, size_t size);

 private:
  std::mutex mutex_;
  size_t pooledSize_ = 0;
  size_t maxFreeBytes_;
  std::vector<void*> free_;
};

}  // namespace engine
}  // namespace pcapkit
