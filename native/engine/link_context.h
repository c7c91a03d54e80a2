// What libpcap knows about a link type, asked of libpcap itself rather than copied into
// tables here: the DLT value a LINKTYPE_ value in a file maps to, the snapshot length libpcap
// would adjust a header's snaplen to, the file header libpcap's dumper writes, and BPF code
// compiled exactly as tcpdump compiles it for a savefile.
//
// The trick is a savefile handle opened on a synthetic 24-byte pcap file header held in
// memory (fmemopen): it is a real savefile handle (so gencode takes the savefile branches,
// e.g. DLT_NULL 'ip6' tests every BSD AF_INET6 value), but no file is ever opened twice.
#pragma once
#include <pcap/pcap.h>

#include <cstdint>
#include <string>
#include <vector>

#include "pcap_handle.h"

namespace pcapkit {
namespace engine {

// libpcap's limit on a record's captured length for a link type (max_snaplen_for_dlt).
uint32_t MaxCaplenForDlt(int dlt);

class LinkContext {
 public:
  // linktype: the value as stored in a file (LINKTYPE_*, with its upper extension bits for
  // pcap); snaplen: the header's snaplen (0 = unlimited, as pcapng says).
  // precisionNano selects the magic of the file header Header() returns.
  LinkContext(uint32_t linktype, uint32_t snaplen, bool precisionNano);
  ~LinkContext();
  LinkContext(const LinkContext&) = delete;
  LinkContext& operator=(const LinkContext&) = delete;

  bool ok() const { return pcap_ != nullptr; }
  const std::string& error() const { return error_; }
  uint32_t linktype() const { return linktype_; }
  int dlt() const { return dlt_; }
  uint32_t snapshot() const { return snapshot_; }

  // The 24-byte file header libpcap's dumper writes for this handle (what tcpdump -w writes).
  bool Header(std::vector<uint8_t>* out, std::string* error);

  // Compiles `expr` as tcpdump does for a savefile of this link type. Returns false with
  // libpcap's message. The caller frees with pcap_freecode.
  bool Compile(const std::string& expr, bpf_program* prog, std::string* error);

 private:
  // The synthetic header libpcap reads at open (kept: the FILE over it lives as long as pcap_).
  uint8_t synthetic_[24];
  PcapHandle pcap_;
  uint32_t linktype_;
  int dlt_ = -1;
  uint32_t snapshot_ = 0;
  std::string error_;
};

// The 24-byte pcap file header libpcap's dumper writes for a DLT value on a dead handle (what
// PCAPWriter has always written: pcap_open_dead + pcap_dump_open).
bool DeadHeader(int dlt, uint32_t snaplen, bool nano, std::vector<uint8_t>* out,
                std::string* error);

// The LINKTYPE_ value libpcap writes into a file for a DLT value (dlt_to_linktype), or -1.
int64_t LinktypeForDlt(int dlt);

}  // namespace engine
}  // namespace pcapkit
