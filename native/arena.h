// Batch memory. A block holds a batch's header table followed by its packet bytes, and is
// handed to JS as an external ArrayBuffer. When V8 collects the last view of a block, the
// block returns to a small per-environment pool (engine/arena_pool.h) instead of being freed,
// so steady-state reading reuses warm pages instead of faulting in fresh ones for every batch.
// Memory is reused only after the GC has proved nothing references it: views never go stale.
#pragma once
#include <napi.h>

#include <cstddef>
#include <memory>

#include "engine/arena_pool.h"

namespace pcapkit {

using engine::ArenaPool;

// Hands a block from `pool` to JS; it returns to the pool when V8 collects the buffer. Empty
// (and the block still the caller's) when the environment can no longer run JS.
Napi::ArrayBuffer WrapBlock(Napi::Env env, const std::shared_ptr<ArenaPool>& pool, void* block,
                            size_t size);

// detachBlock(arrayBuffer): empties every view of a block and returns it to the pool now.
Napi::Value DetachBlock(const Napi::CallbackInfo& info);

// allocBlock(bytes) -> ArrayBuffer backed by pooled memory.
Napi::Value AllocBlock(const Napi::CallbackInfo& info);

}  // namespace pcapkit
