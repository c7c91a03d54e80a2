// filterFile(): the whole read -> BPF -> write loop in C++ on a pool thread, no JS per packet,
// over the capture-file engine (so stdin, FIFOs and pcapng with several link types work as
// files do). JS polls progress() on a timer and may cancel(); both are lock-free.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <string>

#include "engine/byte_source.h"
#include "engine/capture_reader.h"
#include "engine/capture_writer.h"
#include "engine/file_copy.h"
#include "engine/filter_set.h"

namespace pcapkit {

class FilterJob : public Napi::ObjectWrap<FilterJob> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit FilterJob(const Napi::CallbackInfo& info);

 private:
  friend class FilterWorker;
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Progress(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);

  std::string inPath_, outPath_, expr_, precision_, format_;
  int64_t count_ = -1;  // most packets to write (-1: all)
  int64_t skip_ = 0;    // matching packets to pass over before writing
  // Time window [start, end): packets before start or at/after end are passed over.
  bool haveStart_ = false, haveEnd_ = false;
  int64_t startSec_ = 0, endSec_ = 0;
  uint32_t startNsec_ = 0, endNsec_ = 0;
  bool repair_ = false;  // resynchronise past damage instead of stopping there
  // Split: a new file every splitPackets_ packets or splitSeconds_ seconds (from the first
  // packet's time), named prefix_ + "_NNNNN_YYYYmmddHHMMSS" + suffix_ as editcap names them.
  int64_t splitPackets_ = 0, splitSeconds_ = 0;
  std::string prefix_, suffix_;
  bool splitting() const { return splitPackets_ > 0 || splitSeconds_ > 0; }
  // Reads the header, compiles the filter and opens the output, in that order (so a bad filter
  // or an unreadable input never creates the output). On the constructor's thread for a
  // regular file (setup errors are thrown at once, the output exists when filterFile returns
  // its promise); on the pool for a pipe, whose header may be slow. False: the error is in
  // *re (input) or *we (filter, output).
  bool Setup(engine::ReadError* re, engine::WriteError* we);

  std::unique_ptr<engine::ByteSource> source_;
  std::unique_ptr<engine::CaptureReader> reader_;
  engine::FilterSet filter_;
  engine::CaptureWriter writer_;
  std::unique_ptr<engine::PacketCopier> copier_;
  std::string inFormat_, outFormat_;
  bool ready_ = false;   // Setup() done
  bool readSetupFailed_ = false;
  bool started_ = false;
  std::atomic<bool> cancel_{false};
  std::atomic<double> read_{0}, written_{0};
  std::atomic<int64_t> offset_{0};
  int64_t fileSize_ = -1;
};

}  // namespace pcapkit
