// Live capture: a pcap_create/pcap_activate handle read by a capture thread of its own (never
// the libuv pool, never the JS thread). The thread hands batches to JS through a thread-safe
// function; at most `maxQueued` batches wait for JS, after which the thread stops reading and
// the kernel ring absorbs (and counts, in stats().dropped) what JS cannot keep up with.
#pragma once
#include <napi.h>
#include <pcap/pcap.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "arena.h"
#include "batch.h"

namespace pcapkit {

class LiveHandle : public Napi::ObjectWrap<LiveHandle> {
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

  void Run();  // capture thread body
  static void OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* data);
  void BeginBatch();
  void Deliver(bool force);
  void DeliverError(const std::string& code, const std::string& message);
  void Shutdown();
  // Stops the capture thread and delivery; hands back the pcap handles for the caller to close.
  void Stop(pcap_t** capture, pcap_t** sender);
  void WaitForRoom();  // capture thread: blocks while maxQueued batches wait for JS
  static void CleanupHook(void* arg);

  pcap_t* pcap_ = nullptr;
  pcap_t* sendPcap_ = nullptr;  // a second handle for pcap_inject: pcap_t is not thread-safe
  std::string device_;
  int linktype_ = 0;
  int snaplen_ = 0;
  bool nano_ = true;
  bool immediate_ = false;
  int timeoutMs_ = 1000;
  std::vector<std::string> warnings_;

  std::shared_ptr<ArenaPool> pool_;
  size_t batchBytes_ = 1 << 20;
  size_t batchPackets_ = 4096;
  size_t maxQueued_ = 8;

  Napi::ThreadSafeFunction tsfn_;
  bool tsfnActive_ = false;
  bool unrefRequested_ = false;  // unref() before start(): applied when the function exists
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool closed_ = false;

  // Capture-thread state for the batch being filled.
  uint8_t* block_ = nullptr;
  BatchWriter writer_{nullptr, 0, nullptr, 0};
  size_t blockSize_ = 0;

  std::mutex mutex_;  // guards everything below
  std::condition_variable cv_;
  size_t queued_ = 0;           // batches delivered but not yet acknowledged by JS
  std::string pendingFilter_;   // applied by the capture thread between dispatches
  bool filterPending_ = false;
  std::mutex statsMutex_;       // pcap_stats vs. close
  void* cleanupEnv_ = nullptr;
};

}  // namespace pcapkit
