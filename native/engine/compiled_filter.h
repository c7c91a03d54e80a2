// A BPF program compiled from an expression, owning its instructions: what BpfFilter runs over
// packets in JS memory (../bpf.h) and what the live capture checks a new filter with.
#pragma once
#include <pcap/pcap.h>

#include <string>

namespace pcapkit {
namespace engine {

// Compiled against a dead handle of the given link type, so compiling never touches a handle
// another thread is reading from.
class CompiledFilter {
 public:
  CompiledFilter() = default;
  ~CompiledFilter() { Reset(); }
  CompiledFilter(const CompiledFilter&) = delete;
  CompiledFilter& operator=(const CompiledFilter&) = delete;

  // Returns false and fills `error` with libpcap's message when the expression is invalid.
  bool Compile(int linktype, int snaplen, const std::string& expr, bpf_u_int32 netmask,
               std::string* error);
  void Reset();
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

}  // namespace engine
}  // namespace pcapkit
