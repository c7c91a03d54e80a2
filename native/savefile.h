// Opening savefiles (pcap or pcapng, a path or "-" for standard input) the same way for the
// reader and for the native filter loop.
#pragma once
#include <pcap/pcap.h>

#include <cstdint>
#include <string>

namespace pcapkit {

struct SavefileOpen {
  pcap_t* pcap = nullptr;
  int64_t fileSize = -1;  // -1 when not a regular file (stdin, a pipe)
  uint32_t magic = 0;     // first four bytes as stored (0 when it could not be peeked)
  std::string code;       // set on failure
  std::string message;    // set on failure
};

// precision: PCAP_TSTAMP_PRECISION_MICRO or _NANO. Never throws; on failure .pcap is null
// and code/message say why.
SavefileOpen OpenSavefile(const std::string& path, int precision);

// The first four bytes of a regular file in host order (0 for stdin, pipes, short files).
uint32_t PeekMagic(const std::string& path);

// Current byte offset in the savefile, or -1 when unknown.
int64_t SavefileOffset(pcap_t* p);

}  // namespace pcapkit
