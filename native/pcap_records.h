// A direct reader for the records of classic pcap files in this host's byte order (what
// tcpdump and pcapkit write on this machine): it freads the file straight into the batch
// arena and hands out packets in place, where libpcap would fread each record into its own
// buffer and we would then copy it again. libpcap still opens and validates the file (and
// reads everything else: pcapng, swapped files, old variants); the checks and messages here
// follow libpcap 1.10's sf-pcap.c so both paths behave the same.
#pragma once
#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "batch.h"
#include "bpf.h"

namespace pcapkit {

class PcapRecordReader {
 public:
  // True for files this reader handles: host byte order, version 2.4, a link type whose
  // maximum snaplen is libpcap's default one.
  static bool Eligible(uint32_t magic, pcap_t* p);

  void Init(FILE* f, bool fileNano, bool wantNano, uint32_t snapshot);

  enum Status { kMore, kEof, kError };
  // Fills `w` with the next packets that pass `filter`. `read` counts records consumed
  // (before the filter). On kError, `error` holds a libpcap-style message.
  Status Fill(BatchWriter* w, const CompiledFilter& filter, int linktype, size_t* read,
              size_t* needBytes, std::string* error);

 private:
  FILE* file_ = nullptr;
  bool fileNano_ = false;
  bool wantNano_ = true;
  uint32_t snapshot_ = 0;
  bool eof_ = false;
  // Bytes of a record cut by the end of the previous batch's arena.
  std::vector<uint8_t> carry_;
};

}  // namespace pcapkit
