#include "arena.h"

#include "addon.h"
#include "errors.h"

namespace pcapkit {

namespace {

struct BlockHint {
  std::shared_ptr<ArenaPool> pool;
  size_t size;
};

void ReleaseBlock(Napi::Env, void* data, BlockHint* hint) {
  hint->pool->Give(data, hint->size);
  delete hint;
}

}  // namespace

Napi::ArrayBuffer WrapBlock(Napi::Env env, const std::shared_ptr<ArenaPool>& pool, void* block,
                            size_t size) {
  auto* hint = new BlockHint{pool, size};
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, block, size, ReleaseBlock, hint);
  // Empty when JS can no longer run here (a worker being terminated): the caller keeps the block.
  if (ab.IsEmpty()) delete hint;
  return ab;
}

Napi::Value DetachBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) {
    ThrowPcapError(env, "EINVAL", "detachBlock(arrayBuffer)");
    return env.Undefined();
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  // Detaching drops the buffer's hold on the memory: every view reads as empty from now on,
  // and the block's finalizer hands it back to the pool. Nothing can see it reused.
  if (!ab.IsDetached()) ab.Detach();
  return env.Undefined();
}

Napi::Value AllocBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowPcapError(env, "EINVAL", "allocBlock(bytes)");
    return env.Undefined();
  }
  double want = info[0].As<Napi::Number>().DoubleValue();
  if (!(want >= 8 && want <= 1024.0 * 1024 * 1024)) {
    ThrowPcapError(env, "EINVAL", "allocBlock: size out of range");
    return env.Undefined();
  }
  size_t size = static_cast<size_t>(want);
  Addon* addon = GetAddon(env);
  void* data = addon->arenas->Take(size);
  if (data == nullptr) {
    ThrowPcapError(env, "ENOMEM", "out of memory allocating a packet batch");
    return env.Undefined();
  }
  Napi::ArrayBuffer ab = WrapBlock(env, addon->arenas, data, size);
  if (ab.IsEmpty()) {
    addon->arenas->Give(data, size);
    return env.Undefined();
  }
  return ab;
}

}  // namespace pcapkit
