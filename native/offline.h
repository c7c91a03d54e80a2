// The N-API face of the capture-file reader (engine/capture_reader.h): JS asks for one batch
// at a time on a libuv pool thread, one batch ahead of the user's code, so the event loop only
// ever waits on a promise. Opening reads the file header: synchronously for a regular file
// (openSync), on the pool for a pipe, a FIFO or stdin (open), where the header may be slow.
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>
#include <string>

#include "engine/byte_source.h"
#include "engine/capture_reader.h"
#include "engine/filter_set.h"

namespace pcapkit {

class OfflineHandle : public Napi::ObjectWrap<OfflineHandle> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit OfflineHandle(const Napi::CallbackInfo& info);
  ~OfflineHandle() override;

 private:
  friend class ReadBatchWorker;
  friend class OpenWorker;
  Napi::Value IsRegular(const Napi::CallbackInfo& info);
  Napi::Value OpenSync(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Interfaces(const Napi::CallbackInfo& info);
  Napi::Value SetFilter(const Napi::CallbackInfo& info);
  Napi::Value SetPrecision(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Offset(const Napi::CallbackInfo& info);
  Napi::Object InfoObject(Napi::Env env);
  Napi::Error OpenError(Napi::Env env, const engine::ReadError& e);
  void CloseNow();

  std::string path_;
  std::unique_ptr<engine::ByteSource> source_;
  std::unique_ptr<engine::CaptureReader> reader_;
  bool opened_ = false;
  bool busy_ = false;            // a worker owns reader_ right now
  bool closeRequested_ = false;  // close() came while busy: the worker closes when done
  bool eof_ = false;
  bool closed_ = false;

  // Packets read from the file so far (before the filter) and passed to JS.
  double packetsRead_ = 0;
  double packetsPassed_ = 0;

  // The filter the worker runs. setFilter() swaps a new one in directly when idle; while a
  // batch is being read (maybe waiting on a pipe) it leaves it in pendingFilter_ for the next
  // batch, under a lock that is never held across a read.
  engine::FilterSet filter_;
  std::mutex pendingMutex_;
  std::unique_ptr<engine::FilterSet> pendingFilter_;
  // The interfaces as of the last batch handed back (the reader's own list may grow on the
  // worker meanwhile).
  std::vector<engine::Interface> known_;
};

}  // namespace pcapkit
