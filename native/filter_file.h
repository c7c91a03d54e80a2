// filterFile(): the whole read -> BPF -> dump loop in C++ on a pool thread, no JS per packet.
// JS polls progress() on a timer and may cancel(); both are lock-free counters.
#pragma once
#include <napi.h>
#include <pcap/pcap.h>

#include <atomic>
#include <string>

#include "bpf.h"

namespace pcapkit {

class FilterJob : public Napi::ObjectWrap<FilterJob> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit FilterJob(const Napi::CallbackInfo& info);
  ~FilterJob() override;

 private:
  friend class FilterWorker;
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Progress(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  void Release();

  pcap_t* in_ = nullptr;
  pcap_dumper_t* out_ = nullptr;
  std::string inPath_, outPath_;
  int64_t fileSize_ = -1;
  int linktype_ = 0;
  int snaplen_ = 0;
  CompiledFilter filter_;
  bool started_ = false;
  std::atomic<bool> cancel_{false};
  std::atomic<double> read_{0}, written_{0}, bytesIn_{0}, bytesOut_{0};
  std::atomic<int64_t> offset_{0};
};

}  // namespace pcapkit
