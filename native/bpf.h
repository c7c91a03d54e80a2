// BPF: compiling filter expressions and running them over packets that are not read by
// libpcap itself (batches in JS memory, files read packet by packet).
#pragma once
#include <napi.h>
#include <pcap/pcap.h>

#include <string>
#include <utility>

namespace pcapkit {

// A compiled program that owns its instructions. Compiled against a dead handle of the
// given link type, so compiling never touches a handle another thread is reading from.
class CompiledFilter {
 public:
  CompiledFilter() = default;
  ~CompiledFilter() { Reset(); }
  CompiledFilter(const CompiledFilter&) = delete;
  CompiledFilter& operator=(const CompiledFilter&) = delete;

  // Returns false and fills `error` with libpcap's message when the expression is invalid.
  bool Compile(int linktype, int snaplen, const std::string& expr, bpf_u_int32 netmask,
               std::string* error);
  // Compiles against a real handle. For savefiles this matters: libpcap generates different
  // code for a file than for a live capture (e.g. DLT_NULL 'ip6' checks every BSD AF_INET6
  // value in a file, only the local one live). The caller must own `p` on this thread.
  bool CompileWith(pcap_t* p, const std::string& expr, bpf_u_int32 netmask, std::string* error);
  void Reset();
  void Swap(CompiledFilter& other) {
    std::swap(prog_, other.prog_);
    std::swap(compiled_, other.compiled_);
  }
  bool empty() const { return !compiled_; }
  const bpf_program* program() const { return &prog_; }
  // True when the packet passes (an empty filter passes everything).
  bool Matches(const pcap_pkthdr* h, const u_char* data) const {
    return !compiled_ || pcap_offline_filter(&prog_, h, data) != 0;
  }

 private:
  bpf_program prog_{};
  bool compiled_ = false;
};

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
