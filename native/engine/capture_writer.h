// Writing capture files: classic pcap (the file header as libpcap's dumper writes it, records
// in host order: byte for byte what tcpdump -w writes) and pcapng (one section in host order,
// one IDB per interface, EPBs with comments and flags).
//
// Files are created anew with mode 0600 (captures hold secrets): an existing file at the path
// is unlinked first, so it can neither keep its old mode nor be read through an old link.
// Output is buffered; the writer remembers where each record ends in its buffer, so when the
// kernel takes only part of it (disk full), the file is cut back to its last whole record and
// the writer knows exactly how many packets the file holds. Nothing half-written remains.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace pcapkit {
namespace engine {

struct WriteError {
  std::string code;  // ENOSPC, EIO, EPERM, ENOENT, EINVAL, ...
  std::string message;
  int err = 0;
};

struct InterfaceDesc {
  uint32_t linktype = 1;  // LINKTYPE_ value
  uint32_t snaplen = 262144;
  std::string name, description;
  uint8_t tsresol = 9;
  int64_t tsoffset = 0;
};

class CaptureWriter {
 public:
  enum class Kind { kPcap, kPcapng };
  CaptureWriter() = default;
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  // Creates `path` ("-": standard output). append: keep an existing file and add to its end
  // (the caller has checked that its header matches).
  bool Open(const std::string& path, bool append, WriteError* error);

  // pcap: starts the file with `header` (24 bytes, from LinkContext). Not on append.
  bool BeginPcap(const std::vector<uint8_t>& header, bool nano);
  // On append: the existing file is pcap with this precision.
  void ContinuePcap(bool nano) {
    kind_ = Kind::kPcap;
    nano_ = nano;
  }
  bool WritePcap(uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len, const uint8_t* data);
  // Seconds and nanoseconds, checked: a time before 1970 or after 2106 does not fit a record.
  bool WritePcapTime(int64_t sec, uint32_t nsec, uint32_t caplen, uint32_t len,
                     const uint8_t* data, WriteError* error);

  // pcapng: the section header (shb_userappl, optional shb_comment).
  bool BeginPcapng(const std::string& comment);
  // Writes an IDB; returns the interface's index, or -1 (invalid tsresol: *error).
  int64_t AddInterface(const InterfaceDesc& d, WriteError* error);
  size_t interfaceCount() const { return itfs_.size(); }
  const InterfaceDesc& interfaceAt(size_t i) const { return itfs_[i].desc; }
  // An EPB on interface `iface`, the time given as seconds + nanoseconds (converted to the
  // interface's resolution; an error when it does not fit).
  bool WriteEpb(uint32_t iface, int64_t sec, uint32_t nsec, uint32_t caplen, uint32_t len,
                const uint8_t* data, uint32_t flags, const uint8_t* comment, uint32_t commentLen,
                WriteError* error);

  bool Flush(WriteError* error);
  // Flushes and closes; reports the first error of the writer's life.
  bool Close(WriteError* error);

  bool failed() const { return failed_; }
  const WriteError& failure() const { return failure_; }
  Kind kind() const { return kind_; }
  bool nano() const { return nano_; }
  uint64_t packets() const { return packets_; }
  // Bytes in the file once the buffer is written (what a reader would see after Flush).
  int64_t position() const { return fileBytes_ + static_cast<int64_t>(buf_.size()); }
  bool open() const { return fd_ >= 0; }

 private:
  struct Itf {
    InterfaceDesc desc;
    bool binary;
    uint32_t exponent;
    uint64_t units;
  };
  uint8_t* Reserve(size_t n);
  void EndUnit(bool packet);
  bool Drain(WriteError* error);
  void Fail(int err, const char* what);

  int fd_ = -1;
  bool regular_ = false;
  std::string path_;
  Kind kind_ = Kind::kPcap;
  bool nano_ = true;
  // The output buffer: grows without zero-filling (every byte reserved is written at once), so a
  // record costs one copy, not a fill and a copy as std::vector::resize would make it.
  struct Buffer {
    std::unique_ptr<uint8_t[]> bytes;
    size_t used = 0, capacity = 0;
    uint8_t* Reserve(size_t n) {
      if (used + n > capacity) {
        size_t grown = capacity ? capacity * 2 : 1u << 20;
        while (grown < used + n) grown *= 2;
        std::unique_ptr<uint8_t[]> bigger(new uint8_t[grown]);
        if (used) std::memcpy(bigger.get(), bytes.get(), used);
        bytes = std::move(bigger);
        capacity = grown;
      }
      uint8_t* at = bytes.get() + used;
      used += n;
      return at;
    }
    size_t size() const { return used; }
    const uint8_t* data() const { return bytes.get(); }
    void clear() { used = 0; }
  };
  Buffer buf_;
  // Ends of the whole units in buf_, and whether each is a packet.
  std::vector<std::pair<size_t, bool>> units_;
  int64_t fileBytes_ = 0;  // bytes the kernel has taken
  uint64_t packets_ = 0;   // packets in the file and in buf_
  bool failed_ = false;
  WriteError failure_;
  std::vector<Itf> itfs_;
};

}  // namespace engine
}  // namespace pcapkit
