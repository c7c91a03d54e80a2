#include "pcap_records.h"

#include <cerrno>
#include <cstring>

namespace pcapkit {

namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;
constexpr uint32_t kMaxSnaplen = 262144;  // libpcap's MAXIMUM_SNAPLEN
constexpr size_t kRecordHeader = 16;
constexpr size_t kChunk = 256 * 1024;
// A batch whose records all fail the filter keeps scanning, but not forever: the caller
// gets an empty batch after this much, so close() and progress stay responsive.
constexpr size_t kMaxScanPerFill = 64u << 20;

struct RecordHeader {
  uint32_t sec, frac, caplen, len;
};

}  // namespace

bool PcapRecordReader::Eligible(uint32_t magic, pcap_t* p) {
  if (magic != kMagicMicro && magic != kMagicNano) return false;  // swapped or another format
  if (pcap_major_version(p) != 2 || pcap_minor_version(p) != 4) return false;
  switch (pcap_datalink(p)) {
    case 231:  // DLT_DBUS: larger maximum snaplen
    case 249:  // DLT_USBPCAP
    case 279:  // DLT_EBHSCR
      return false;
    default:
      return true;
  }
}

void PcapRecordReader::Init(FILE* f, bool fileNano, bool wantNano, uint32_t snapshot) {
  file_ = f;
  fileNano_ = fileNano;
  wantNano_ = wantNano;
  snapshot_ = snapshot;
}

PcapRecordReader::Status PcapRecordReader::Fill(BatchWriter* w, const CompiledFilter& filter,
                                                int linktype, size_t* read, size_t* needBytes,
                                                std::string* error) {
  uint8_t* arena = w->arena;
  const size_t size = w->arenaSize;
  size_t filled = 0;
  size_t pos = 0;
  size_t scanned = 0;
  if (!carry_.empty()) {
    if (carry_.size() > size) {
      *needBytes = carry_.size();
      return kMore;
    }
    std::memcpy(arena, carry_.data(), carry_.size());
    filled = carry_.size();
    carry_.clear();
  }
  char msg[256];
  Status status = kMore;
  for (;;) {
    // Hand out every complete record already in the arena.
    while (!w->Full() && filled - pos >= kRecordHeader) {
      RecordHeader rh;
      std::memcpy(&rh, arena + pos, sizeof rh);
      if (rh.caplen > kMaxSnaplen) {
        if (rh.caplen > snapshot_)
          snprintf(msg, sizeof msg, "invalid packet capture length %u, bigger than snaplen of %u",
                   rh.caplen, snapshot_);
        else
          snprintf(msg, sizeof msg, "invalid packet capture length %u, bigger than maximum of %u",
                   rh.caplen, kMaxSnaplen);
        *error = msg;
        status = kError;
        break;
      }
      if (filled - pos < kRecordHeader + rh.caplen) break;
      pcap_pkthdr h{};
      h.ts.tv_sec = rh.sec;  // unsigned: see UnsignedSeconds in batch.h
      uint64_t nsec = fileNano_ ? rh.frac : static_cast<uint64_t>(rh.frac) * 1000;
      double sec = rh.sec;
      NormalizeTime(&sec, &nsec);
      if (!wantNano_) nsec = (nsec / 1000) * 1000;
      // libpcap hands out at most snapshot bytes of an oversized record.
      h.caplen = rh.caplen > snapshot_ ? snapshot_ : rh.caplen;
      h.len = rh.len;
      const uint8_t* data = arena + pos + kRecordHeader;
      (*read)++;
      if (filter.Matches(&h, data)) {
        double* slot = w->hdr + w->count * HDR_STRIDE;
        slot[H_TS_SEC] = sec;
        slot[H_TS_NSEC] = static_cast<double>(nsec);
        slot[H_CAPLEN] = h.caplen;
        slot[H_LEN] = h.len;
        slot[H_OFFSET] = static_cast<double>(pos + kRecordHeader);
        slot[H_LINKTYPE] = linktype;
        slot[H_IFINDEX] = 0;
        slot[H_FLAGS] = 0;
        w->count++;
        w->used = pos + kRecordHeader + rh.caplen;
      }
      pos += kRecordHeader + rh.caplen;
    }
    if (status == kError || w->Full()) break;
    if (w->count == 0 && pos > 0) {
      // Nothing handed out yet: drop what the filter rejected to make room.
      std::memmove(arena, arena + pos, filled - pos);
      filled -= pos;
      scanned += pos;
      pos = 0;
      if (scanned >= kMaxScanPerFill) break;
    }
    if (eof_) {
      size_t left = filled - pos;
      if (left == 0) {
        status = kEof;
      } else if (left < kRecordHeader) {
        snprintf(msg, sizeof msg,
                 "truncated dump file; tried to read %zu header bytes, only got %zu",
                 kRecordHeader, left);
        *error = msg;
        status = kError;
      } else {
        RecordHeader rh;
        std::memcpy(&rh, arena + pos, sizeof rh);
        uint32_t want = rh.caplen > snapshot_ ? snapshot_ : rh.caplen;
        size_t got = left - kRecordHeader;
        snprintf(msg, sizeof msg,
                 "truncated dump file; tried to read %u captured bytes, only got %zu", want,
                 got < want ? got : static_cast<size_t>(want));
        *error = msg;
        status = kError;
      }
      pos = filled;
      break;
    }
    if (filled == size) {
      if (w->count == 0 && pos == 0) {
        // One record larger than the whole arena: ask for a bigger one.
        RecordHeader rh;
        std::memcpy(&rh, arena, sizeof rh);
        *needBytes = kRecordHeader + rh.caplen;
      }
      break;
    }
    size_t want = size - filled;
    if (want > kChunk) want = kChunk;
    size_t n = fread(arena + filled, 1, want, file_);
    filled += n;
    if (n < want) {
      if (ferror(file_)) {
        snprintf(msg, sizeof msg, "error reading dump file: %s", std::strerror(errno));
        *error = msg;
        status = kError;
        break;
      }
      eof_ = true;
    }
  }
  if (status == kMore && pos < filled) carry_.assign(arena + pos, arena + filled);
  return status;
}

}  // namespace pcapkit
