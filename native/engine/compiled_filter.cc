#include "compiled_filter.h"

#include "pcap_handle.h"

namespace pcapkit {
namespace engine {

bool CompiledFilter::Compile(int linktype, int snaplen, const std::string& expr,
                             bpf_u_int32 netmask, std::string* error) {
  Reset();
  PcapHandle dead(pcap_open_dead(linktype, snaplen > 0 ? snaplen : 262144));
  if (dead == nullptr) {
    *error = "cannot create a handle to compile the filter";
    return false;
  }
  if (pcap_compile(dead.get(), &prog_, expr.c_str(), 1, netmask) != 0) {
    *error = pcap_geterr(dead.get());
    return false;
  }
  compiled_ = true;
  return true;
}

void CompiledFilter::Reset() {
  if (compiled_) pcap_freecode(&prog_);
  prog_ = bpf_program{};
  compiled_ = false;
}

}  // namespace engine
}  // namespace pcapkit
