// BPF: compiling filter expressions and running them over packets that are not read by
// libpcap itself (batches in JS memory, files read packet by packet).
#pragma once
#include <napi.h>
#include <pcap/pcap.h>

#include "engine/compiled_filter.h"

namespace pcapkit {

using engine::CompiledFilter;

// JS class BpfProgram(linktype, snaplen, expr): matches(buf, wireLength?), instructions().
class BpfProgram : public Napi::ObjectWrap<BpfProgram> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit BpfProgram(const Napi::CallbackInfo& info);

 private:
  Napi::Value Matches(const Napi::CallbackInfo& info);
  Napi::Value Instructions(const Napi::CallbackInfo& info);
  CompiledFilter filter_;
};

}  // namespace pcapkit
