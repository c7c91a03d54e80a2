// Merging captures: a streaming k-way merge by timestamp (mergecap's default; on equal
// timestamps across inputs the later input first, as mergecap) or a concatenation (-a), from any number of inputs read
// by the engine, each through a bounded window, into one writer. Memory is the inputs' windows,
// whatever the files' sizes.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "byte_source.h"
#include "capture_reader.h"
#include "capture_writer.h"

namespace pcapkit {
namespace engine {

class Merger {
 public:
  struct Options {
    bool append = false;         // concatenate in order instead of merging by time
    std::string format;          // "pcap", "pcapng", or "" (pcap when every input is pcap of one link type)
    std::string precision;       // pcap output: "micro", "nano", or "" (nano if any input is)
  };
  // Takes the opened sources (one per input, in order).
  Merger(std::vector<std::unique_ptr<ByteSource>> sources, std::vector<std::string> paths,
         Options options)
      : sources_(std::move(sources)), paths_(std::move(paths)), options_(std::move(options)) {}

  // Reads every input's header. False with *error (and *input = its index).
  bool Open(ReadError* error, size_t* input);
  // The output format chosen (after Open).
  CaptureWriter::Kind kind() const { return kind_; }
  // Writes the header to `writer` (opened by the caller) and merges. False on a read error
  // (*error, *input) or a write error (*werror). cancel is polled between packets' windows.
  bool Run(CaptureWriter* writer, const std::atomic<bool>& cancel, ReadError* error, size_t* input,
           WriteError* werror);
  uint64_t packetsRead() const { return read_; }
  int64_t bytesRead() const;
  bool cancelled() const { return cancelled_; }

 private:
  struct Input {
    std::unique_ptr<CaptureReader> reader;
    std::vector<uint8_t> arena;
    // The current window's packets, in file order. Their `itf` is cleared: an IDB later in the
    // same window may grow the reader's interface list (and move it); `iface` says which one.
    std::vector<PacketView> views;
    std::vector<uint32_t> iface;
    size_t next = 0;
    bool eof = false;
    std::vector<int64_t> outIfaces;  // output interface of each of its interfaces (pcapng)
  };
  // Makes input i's next packet available; false at its end or on an error.
  bool Refill(size_t i, ReadError* error, bool* failed);
  bool Write(size_t i, const PacketView& v, CaptureWriter* w, WriteError* e);

  std::vector<std::unique_ptr<ByteSource>> sources_;
  std::vector<std::string> paths_;
  Options options_;
  std::vector<Input> inputs_;
  CaptureWriter::Kind kind_ = CaptureWriter::Kind::kPcap;
  bool outNano_ = false;
  uint32_t pcapLinktype_ = 0;
  uint64_t read_ = 0;
  bool cancelled_ = false;
};

}  // namespace engine
}  // namespace pcapkit
