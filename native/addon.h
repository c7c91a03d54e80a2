// Per-instance state of the addon. One Addon exists per Node environment (main thread or
// worker_thread), so nothing here is a process global: the module is context-aware.
#pragma once
#include <napi.h>

#include <memory>

#include "arena.h"

namespace pcapkit {

struct Addon {
  // The JS PcapError class, handed in once by lib/binding.ts so that native code throws
  // real PcapError instances (instanceof works, stack traces are JS ones).
  Napi::FunctionReference pcapErrorClass;
  // Shared with the finalizers of the blocks it handed out, which may outlive the Addon.
  // 16 MiB of free blocks: 32 file-reader batches, or a dozen live ones.
  std::shared_ptr<ArenaPool> arenas = std::make_shared<ArenaPool>(16u << 20);
};

inline Addon* GetAddon(Napi::Env env) { return env.GetInstanceData<Addon>(); }

}  // namespace pcapkit
