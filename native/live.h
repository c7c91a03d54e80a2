// JS class LiveHandle: the N-API face of engine::LiveCapture (engine/live_capture.h), which
// owns the capture handle and its thread. Here: reading the options, handing batches and errors
// to JS through a thread-safe function, and closing the handles off the event loop.
#pragma once
#include <napi.h>

#include "engine/live_capture.h"

namespace pcapkit {

class LiveHandle : public Napi::ObjectWrap<LiveHandle>, private engine::LiveSink {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit LiveHandle(const Napi::CallbackInfo& info);
  ~LiveHandle() override;

  struct Delivery;  // a batch (or an error) on its way to JS

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value SetFilter(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Ack(const Napi::CallbackInfo& info);
  Napi::Value Inject(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);

  // engine::LiveSink, called on the capture thread.
  bool OnBatch(const engine::LiveBatch& batch) override;
  void OnError(const engine::LiveError& error) override;

  // Stops the capture and the delivery to JS; hands back the handles for the caller to close.
  engine::LiveCapture::Handles Stop();
  void Shutdown();
  static void CleanupHook(void* arg);

  engine::LiveCapture capture_;
  Napi::ThreadSafeFunction tsfn_;
  bool tsfnActive_ = false;
  bool unrefRequested_ = false;  // unref() before start(): applied when the function exists
  void* cleanupEnv_ = nullptr;
};

}  // namespace pcapkit
