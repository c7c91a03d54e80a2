// The capture-file reader: classic pcap (micro, nano and Kuznetzov's modified records, either
// byte order, versions 2.0-2.4 and DG/UX 543.0, as libpcap 1.10 reads them) and pcapng
// (sections in either byte order, SHB/IDB/EPB/SPB and the obsolete PB; NRB, ISB, DSB, custom
// and unknown blocks are skipped), from one ByteSource read front to back, never seeked.
//
// Bytes are read straight into the caller's arena and packets are handed out where they lie
// (no copy): each Fill() reads until the arena or the packet budget is full, and keeps the
// bytes of a record cut by the arena's end for the next call. Every length read from the file
// is checked before it is used, and the reader's own memory is bounded (interfaces, blocks,
// strings), so a hostile file ends in an error, never in a crash or an unbounded allocation.
//
// Plain C++ (no N-API): the addon wraps it, and the fuzzer links this very code.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "byte_source.h"

namespace pcapkit {
namespace engine {

enum class Format { kUnknown, kPcap, kPcapng };

// Stable error codes, as the JS API documents them.
struct ReadError {
  std::string code;     // EFORMAT, ETRUNCATED, EIO, ENOMEM, ...
  std::string message;  // libpcap-style detail, without the path
  int64_t offset = -1;  // byte offset in the input where the damaged unit starts
  int err = 0;          // errno for EIO-like errors
};

struct Interface {
  uint32_t global = 0;   // index in the reader's interface list (what packets refer to)
  uint32_t section = 0;  // pcapng section number, from 0
  uint32_t index = 0;    // index within its section
  uint32_t linktype = 0; // LINKTYPE_ value as stored (pcap: with the upper extension bits)
  int dlt = 0;           // DLT value libpcap reports for it
  uint32_t snaplen = 0;  // as stored (0: unlimited)
  uint32_t snapshot = 0; // what libpcap cuts records to (pcap_snapshot semantics)
  std::string name, description;
  uint8_t tsresol = 6;
  int64_t tsoffset = 0;
  // timestamp conversion
  bool binary = false;
  uint32_t exponent = 6;
  uint64_t units = 1000000;  // ticks per second
};

struct PacketView {
  const uint8_t* data = nullptr;
  size_t offset = 0;  // of data in the arena
  uint32_t caplen = 0, len = 0;
  int64_t sec = 0;    // exact, after if_tsoffset
  uint32_t nsec = 0;  // 0 <= nsec < 1e9
  // Classic pcap only: the record's seconds and fraction as stored (in the file's unit), which
  // a pcap writer copies unchanged to stay byte-identical with tcpdump.
  uint32_t rawSec = 0, rawFrac = 0;
  const Interface* itf = nullptr;
  uint32_t flags = 0;               // epb_flags
  const uint8_t* comment = nullptr; // first opt_comment (UTF-8, not NUL-terminated)
  uint32_t commentLen = 0;
};

struct FillResult {
  size_t read = 0;      // packet records consumed (before the caller's filter)
  size_t accepted = 0;  // packets the caller kept
  size_t used = 0;      // arena bytes up to the end of the last kept packet
  size_t needBytes = 0; // set when one unit does not fit in the arena at all
  bool interfacesChanged = false;
};

class CaptureReader {
 public:
  enum Status { kMore, kEof, kError, kInterrupted };

  // Limits on what a file can make the reader hold.
  static constexpr size_t kMaxInterfaces = 65536;
  static constexpr size_t kMaxString = 256;        // if_name / if_description kept
  static constexpr uint32_t kMaxBlock = 16u << 20; // pcapng block (raised for big-snaplen links)

  explicit CaptureReader(ByteSource* source) : src_(source) {}

  // Reads the file header (pcapng: the section header and the blocks up to the first
  // interface or packet). On a pipe this waits for the bytes; call it off the event loop.
  // wantNano: nanosecond timestamps (else truncated to microseconds, as libpcap's micro).
  Status Open(bool wantNano, ReadError* error);

  // Reads the next packets into `arena`, calling accept(const PacketView&) -> bool for each
  // (the caller's filter and sink). Stops when maxPackets were accepted, the arena is full,
  // at the end of the input, on damage or when the source is interrupted.
  template <class Accept>
  Status Fill(uint8_t* arena, size_t size, size_t maxPackets, Accept&& accept, FillResult* r,
              ReadError* error);

  // After damage (Fill returned kError with EFORMAT): looks for the next plausible record or
  // block after the damaged one, the way pcapfix does (a plausible header followed by another
  // plausible header, or by the end of the input), and goes on from there. *skipped gets the
  // bytes passed over. kMore: reading may go on; kEof: nothing plausible was left.
  Status Resync(uint64_t* skipped, ReadError* error);

  // Timestamps from the next Fill on: nanoseconds, or truncated to microseconds.
  void SetWantNano(bool nano) { wantNano_ = nano; }
  bool wantNano() const { return wantNano_; }
  // Makes the Fill in progress stop after the packet being accepted (a sink that failed).
  void StopFill() { stopFill_ = true; }

  Format format() const { return format_; }
  bool nano() const { return fileNano_; }  // the file's own precision (pcapng: first IDB's)
  bool swapped() const { return swapped_; }
  uint16_t versionMajor() const { return major_; }
  uint16_t versionMinor() const { return minor_; }
  uint32_t magic() const { return magic_; }
  const std::vector<Interface>& interfaces() const { return interfaces_; }
  // The first interface's link type and snapshot, as libpcap reports a file's (-1: none yet).
  int dlt() const { return interfaces_.empty() ? -1 : interfaces_[0].dlt; }
  uint32_t snapshot() const { return interfaces_.empty() ? 0 : interfaces_[0].snapshot; }
  // Input offset of the next unit not yet handed out.
  int64_t offset() const { return offset_; }
  size_t packetsRead() const { return packets_; }

 private:
  enum Step { kPacket, kOther, kNeedMore, kBad };
  // Parses one unit (record or block) at buf[0, avail). kNeedMore sets *unit to the bytes the
  // unit needs (or 0 if even its length is not known yet).
  Step Next(uint8_t* buf, size_t avail, size_t arenaBase, PacketView* view, size_t* unit,
            ReadError* error, bool* interfacesChanged);
  Step NextPcap(uint8_t* buf, size_t avail, size_t arenaBase, PacketView* view, size_t* unit,
                ReadError* error);
  Step NextPcapng(uint8_t* buf, size_t avail, size_t arenaBase, PacketView* view, size_t* unit,
                  ReadError* error, bool* interfacesChanged);
  bool SectionHeader(const uint8_t* b, uint32_t len, bool le, ReadError* error);
  bool InterfaceBlock(const uint8_t* b, uint32_t len, ReadError* error);
  Step PacketBlock(uint32_t type, uint8_t* b, uint32_t len, size_t dataOffset, PacketView* view,
                   ReadError* error);
  bool Stamp(const Interface& itf, uint64_t ticks, PacketView* view, ReadError* error);
  int DltFor(uint32_t linktype, uint32_t snaplen, uint32_t* snapshot);
  // The error for input that ends inside a unit of `have` bytes out of `need`.
  void CutShort(size_t have, size_t need, const uint8_t* unit, ReadError* error);
  bool ReadHeaderBytes(size_t n, ReadError* error, Status* status);
  // Plausibility of a unit starting at p (avail bytes there): 1 yes, 0 no, -1 need `*need` bytes.
  int PlausiblePcap(const uint8_t* p, size_t avail, bool withNext, size_t* need) const;
  int PlausiblePcapng(const uint8_t* p, size_t avail, bool withNext, size_t* need) const;
  // Reads into buf: first what pending_ still holds, then the source. wait = false: return
  // with *got = 0 when a pipe has nothing to read right now.
  Status ReadMore(uint8_t* buf, size_t want, size_t* got, ReadError* error, bool wait = true);

  ByteSource* src_;
  Format format_ = Format::kUnknown;
  bool wantNano_ = true;
  bool eof_ = false;
  bool stopFill_ = false;
  std::vector<uint8_t> pending_;  // bytes read but not yet handed out
  int64_t offset_ = 0;            // input offset of pending_[0] / the next unit
  size_t packets_ = 0;
  bool haveLastSec_ = false;  // pcap: seconds of the last good record (repair's plausibility)
  uint32_t lastSec_ = 0;

  // classic pcap
  uint32_t magic_ = 0;
  bool swapped_ = false;
  bool fileNano_ = false;
  uint16_t major_ = 0, minor_ = 0;
  size_t recordHeader_ = 16;
  int lengthsSwapped_ = 0;  // 0 no, 1 yes, 2 maybe (version 2.3)
  uint32_t maxCaplen_ = 262144;

  // pcapng
  bool le_ = true;  // byte order of the current section
  uint32_t section_ = 0;
  bool sawSection_ = false;
  size_t sectionFirst_ = 0;  // index in interfaces_ of the current section's first interface
  uint32_t maxBlock_ = kMaxBlock;

  std::vector<Interface> interfaces_;
};

template <class Accept>
CaptureReader::Status CaptureReader::Fill(uint8_t* arena, size_t size, size_t maxPackets,
                                          Accept&& accept, FillResult* r, ReadError* error) {
  if (format_ == Format::kUnknown) return kEof;
  // The bytes kept from the previous call come first (as many as fit; ReadMore takes the
  // rest before it reads the source).
  size_t filled = pending_.size() < size ? pending_.size() : size;
  if (filled) {
    std::memcpy(arena, pending_.data(), filled);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(filled));
  }
  size_t pos = 0;
  // A batch whose packets are all rejected keeps scanning, but not for ever: return an empty
  // batch after this much, so close() and progress stay responsive.
  constexpr size_t kMaxScanPerFill = 64u << 20;
  size_t scanned = 0;
  Status status = kMore;
  PacketView view;
  for (;;) {
    while (r->accepted < maxPackets && pos < filled) {
      size_t unit = 0;
      Step s = Next(arena + pos, filled - pos, pos, &view, &unit, error, &r->interfacesChanged);
      if (s == kNeedMore) {
        if (eof_) {
          CutShort(filled - pos, unit, arena + pos, error);
          status = kError;
        } else if (unit > size) {
          if (r->accepted == 0 && pos == 0) r->needBytes = unit;
        }
        break;
      }
      if (s == kBad) {
        status = kError;
        break;
      }
      if (s == kPacket) {
        r->read++;
        packets_++;
        if (accept(view)) {
          r->accepted++;
          r->used = view.offset + view.caplen;
        }
      }
      pos += unit;
      offset_ += static_cast<int64_t>(unit);
      if (stopFill_) break;
    }
    if (stopFill_) {
      stopFill_ = false;
      break;
    }
    if (status != kMore || r->accepted >= maxPackets || r->needBytes) break;
    if (pos == filled && eof_) {
      status = kEof;
      break;
    }
    if (r->accepted == 0 && pos > 0) {
      // Nothing handed out yet: drop what was consumed to make room.
      std::memmove(arena, arena + pos, filled - pos);
      filled -= pos;
      scanned += pos;
      pos = 0;
      if (scanned >= kMaxScanPerFill) break;
    }
    if (filled == size) break;  // the arena is full; the rest waits for the next call
    size_t got = 0;
    // A pipe that has nothing more right now: hand out what is here rather than hold back
    // packets already read until the writer sends more.
    // Read about as much as the packets still wanted need (~2 KiB each, at least 64 KiB): what
    // is read beyond the batch is carried to the next one, which costs a copy.
    size_t want = size - filled;
    size_t left = maxPackets - r->accepted;
    size_t enough = left > (1u << 20) ? want : left * 2048;
    if (enough < (64u << 10)) enough = 64u << 10;
    if (want > enough) want = enough;
    Status rs = ReadMore(arena + filled, want, &got, error, /*wait=*/r->accepted == 0);
    if (rs != kMore) {
      status = rs;
      break;
    }
    if (got == 0 && !eof_) break;
    filled += got;
  }
  // Kept also after damage: Resync() starts from the damaged unit.
  if (status != kEof && pos < filled) pending_.insert(pending_.begin(), arena + pos, arena + filled);
  return status;
}

}  // namespace engine
}  // namespace pcapkit
