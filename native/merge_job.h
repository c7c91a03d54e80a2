// mergeFiles(): the engine's Merger on a pool thread; JS polls progress() and may cancel().
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "engine/byte_source.h"
#include "engine/merge.h"

namespace pcapkit {

class MergeJob : public Napi::ObjectWrap<MergeJob> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit MergeJob(const Napi::CallbackInfo& info);

 private:
  friend class MergeWorker;
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Progress(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);

  std::vector<std::string> inPaths_;
  std::string outPath_;
  std::vector<engine::ByteSource*> sources_;  // owned by merger_
  std::unique_ptr<engine::Merger> merger_;
  int64_t totalBytes_ = 0;  // -1 when an input is not a regular file
  bool started_ = false;
  std::atomic<bool> cancel_{false};
};

}  // namespace pcapkit
