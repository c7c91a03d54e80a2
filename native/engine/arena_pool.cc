#include "arena_pool.h"

#include <cstdlib>

namespace pcapkit {
namespace engine {

ArenaPool::~ArenaPool() {
  for (void* b : free_) std::free(b);
}

void* ArenaPool::Take(size_t size) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (size == pooledSize_ && !free_.empty()) {
      void* b = free_.back();
      free_.pop_back();
      return b;
    }
    // The pool serves the most recent block size; a new size drops the old blocks.
    if (size != pooledSize_) {
      for (void* b : free_) std::free(b);
      free_.clear();
      pooledSize_ = size;
    }
  }
  return std::malloc(size);
}

void ArenaPool::Give(void* block, size_t size) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (size == pooledSize_ && (free_.size() + 1) * size <= maxFreeBytes_) {
      free_.push_back(block);
      return;
    }
  }
  std::free(block);
}

}  // namespace engine
}  // namespace pcapkit
