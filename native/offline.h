// Reading savefiles into batches off the main thread. JS asks for one batch at a time
// (and asks for the next before it hands the current one to the user), so the event loop
// only ever waits on a promise.
#pragma once
#include <napi.h>
#include <pcap/pcap.h>

#include <mutex>
#include <string>

#include "bpf.h"
#include "pcap_records.h"

namespace pcapkit {

class OfflineHandle : public Napi::ObjectWrap<OfflineHandle> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit OfflineHandle(const Napi::CallbackInfo& info);
  ~OfflineHandle() override;

 private:
  friend class ReadBatchWorker;
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value SetFilter(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Offset(const Napi::CallbackInfo& info);
  void CloseNow();

  pcap_t* pcap_ = nullptr;
  // A second handle on the same file, used only to compile filters with the file's context
  // while pcap_ may be busy on a pool thread (null for stdin: pcap_ itself is used then).
  pcap_t* compilePcap_ = nullptr;
  std::string path_;
  int linktype_ = 0;
  int snaplen_ = 0;
  int precision_ = PCAP_TSTAMP_PRECISION_NANO;  // what the user asked for
  uint32_t nsecFactor_ = 1;  // 1000 when libpcap hands out the file's microseconds
  int64_t fileSize_ = -1;
  uint32_t magic_ = 0;
  bool busy_ = false;            // a ReadBatchWorker owns pcap_ right now
  bool closeRequested_ = false;  // close() came while busy: the worker closes when done
  bool eof_ = false;
  // Classic pcap in host byte order is read by our own record reader (see pcap_records.h).
  bool direct_ = false;
  PcapRecordReader records_;

  // Packets read from the file so far (before the filter) and passed to JS.
  double packetsRead_ = 0;
  double packetsPassed_ = 0;

  // setFilter() may run while a batch is being read: the worker takes the lock per batch.
  std::mutex filterMutex_;
  CompiledFilter filter_;

  // A packet that did not fit in the previous batch's arena. Its data pointer stays valid
  // because libpcap keeps a savefile record in its buffer until the next read call.
  bool pendingValid_ = false;
  pcap_pkthdr pendingHdr_{};
  const u_char* pendingData_ = nullptr;
};

}  // namespace pcapkit
