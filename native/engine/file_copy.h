// Copying packets from a CaptureReader to a CaptureWriter: what filterFile, repair and the
// file tools share. pcap to pcap copies each record's stored time unchanged (byte-identical to
// tcpdump -r IN -w OUT); anything to pcapng keeps interfaces, comments and flags.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "capture_reader.h"
#include "capture_writer.h"
#include "link_context.h"

namespace pcapkit {
namespace engine {

class PacketCopier {
 public:
  // outNano: the precision of a pcap output. The writer must be open, nothing written yet.
  PacketCopier(CaptureReader* reader, CaptureWriter* writer, CaptureWriter::Kind kind, bool outNano)
      : reader_(reader), writer_(writer), kind_(kind), outNano_(outNano) {}

  // Works out the file header (pcap: libpcap's, for the input's first link type) before the
  // output is opened, so a link type libpcap cannot write leaves the output path untouched.
  // Call after reader->Open(). False with *error when the output cannot be written.
  bool Prepare(WriteError* error);
  // Writes the file header into the (now open) writer.
  bool Begin(WriteError* error);
  // Goes on in another (open, empty) writer: split files each get their header and interfaces.
  void Restart(CaptureWriter* writer) {
    writer_ = writer;
    written_ = 0;
  }
  // Writes one packet. False with *error on a write failure or a packet the output format
  // cannot hold (another link type in a pcap file, a time outside pcap's range).
  bool Write(const PacketView& v, WriteError* error);

 private:
  bool EnsureInterfaces(WriteError* error);

  CaptureReader* reader_;
  CaptureWriter* writer_;
  CaptureWriter::Kind kind_;
  bool outNano_;
  uint32_t pcapLinktype_ = 0;
  std::vector<uint8_t> pcapHeader_;
  size_t written_ = 0;  // input interfaces given an IDB so far
};

// The output interface for an input one: same link type, snaplen, name, description,
// tsoffset; the same resolution when it is nanoseconds or coarser, else nanoseconds.
InterfaceDesc DescribeInterface(const Interface& itf);

}  // namespace engine
}  // namespace pcapkit
