// The N-API face of the capture-file writer (engine/capture_writer.h): PCAPWriter stages
// packets in JS and hands them over in batches. pcap files start with the header libpcap's
// dumper writes (what tcpdump -w writes); pcapng files get one IDB per interface. Files are
// created 0600; a write error cuts the file back to its last whole packet.
#pragma once
#include <napi.h>

#include <string>

#include "engine/capture_writer.h"

namespace pcapkit {

class Dumper : public Napi::ObjectWrap<Dumper> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Dumper(const Napi::CallbackInfo& info);

 private:
  Napi::Value AddInterface(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Position(const Napi::CallbackInfo& info);
  Napi::Value Packets(const Napi::CallbackInfo& info);
  bool ThrowIfFailed(Napi::Env env, const engine::WriteError& e);

  std::string path_;
  engine::CaptureWriter writer_;
  bool pcapng_ = false;
};

}  // namespace pcapkit
