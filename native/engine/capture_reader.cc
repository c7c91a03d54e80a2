#include "capture_reader.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "error_codes.h"
#include "link_context.h"

namespace pcapkit {
namespace engine {

namespace {

constexpr uint32_t kPcapMicro = 0xa1b2c3d4;
constexpr uint32_t kPcapNano = 0xa1b23c4d;
constexpr uint32_t kPcapKuznetzov = 0xa1b2cd34;
constexpr uint32_t kBlockSHB = 0x0a0d0d0a;
constexpr uint32_t kBlockIDB = 1;
constexpr uint32_t kBlockPB = 2;  // obsolete Packet Block
constexpr uint32_t kBlockSPB = 3;
constexpr uint32_t kBlockEPB = 6;
constexpr uint32_t kByteOrderMagic = 0x1a2b3c4d;
constexpr uint32_t kReservedLinktypeBits = 0x03ff0000;  // LT_RESERVED1

constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kOptComment = 1;
constexpr uint16_t kOptEpbFlags = 2;
constexpr uint16_t kOptIfName = 2;
constexpr uint16_t kOptIfDescription = 3;
constexpr uint16_t kOptIfTsresol = 9;
constexpr uint16_t kOptIfTsoffset = 14;

inline uint32_t Swap32(uint32_t v) { return __builtin_bswap32(v); }
inline uint16_t Swap16(uint16_t v) { return __builtin_bswap16(v); }

inline uint32_t Load32(const uint8_t* p, bool swap) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swap ? Swap32(v) : v;
}
inline uint16_t Load16(const uint8_t* p, bool swap) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return swap ? Swap16(v) : v;
}

constexpr bool kHostLittle = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

// Loads in a section's byte order (le: the section is little-endian).
inline uint32_t SecLoad32(const uint8_t* p, bool le) { return Load32(p, le != kHostLittle); }
inline uint16_t SecLoad16(const uint8_t* p, bool le) { return Load16(p, le != kHostLittle); }

inline uint32_t Pad4(uint32_t n) { return (n + 3u) & ~3u; }

// The byte order a block at p is read in: the current section's, or, for a section header, the
// one its byte-order magic says. False when that magic is neither order's.
bool BlockByteOrder(const uint8_t* p, bool sectionLe, bool* le) {
  uint32_t type;
  std::memcpy(&type, p, 4);
  *le = sectionLe;
  if (type != kBlockSHB) return true;
  uint32_t bom;
  std::memcpy(&bom, p + 8, 4);
  if (bom == kByteOrderMagic) {
    *le = kHostLittle;
  } else if (Swap32(bom) == kByteOrderMagic) {
    *le = !kHostLittle;
  } else {
    return false;
  }
  return true;
}

void Set(ReadError* e, const char* code, const std::string& message, int64_t offset) {
  e->code = code;
  e->message = message;
  e->offset = offset;
}

std::string Printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Printf(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

// Walks the options in b[start, end): visit(code, value, length) for each until opt_endofopt.
// Returns false (with *bad set) when an option runs past the end.
template <class Visit>
bool ForEachOption(const uint8_t* b, size_t start, size_t end, bool le, std::string* bad,
                   Visit&& visit) {
  size_t p = start;
  while (p < end) {
    if (end - p < 4) {
      *bad = "option header runs past the end of its block";
      return false;
    }
    uint16_t code = SecLoad16(b + p, le);
    uint16_t len = SecLoad16(b + p + 2, le);
    if (code == kOptEnd) return true;
    size_t next = p + 4 + Pad4(len);
    if (next > end) {
      *bad = Printf("option %u of length %u runs past the end of its block", code, len);
      return false;
    }
    visit(code, b + p + 4, len);
    p = next;
  }
  return true;
}

std::string BoundedString(const uint8_t* p, size_t n) {
  size_t keep = n < CaptureReader::kMaxString ? n : CaptureReader::kMaxString;
  std::string s(reinterpret_cast<const char*>(p), keep);
  // Writers differ on whether strings carry a terminating NUL; drop it.
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

// "unknown file format", naming a compression that is not read here and how to pipe it in.
std::string UnknownFormat(const uint8_t* p, size_t n) {
  struct Kind {
    const char* magic;
    size_t len;
    const char* name;
    const char* tool;
  };
  static const Kind kinds[] = {
      {"\x28\xb5\x2f\xfd", 4, "zstd", "zstdcat"},  {"\xfd" "7zXZ\x00", 6, "xz", "xzcat"},
      {"BZh", 3, "bzip2", "bzcat"},                  {"\x04\x22\x4d\x18", 4, "lz4", "lz4cat"},
      {"PK\x03\x04", 4, "zip", "unzip -p"},
  };
  for (const Kind& k : kinds) {
    if (n >= k.len && std::memcmp(p, k.magic, k.len) == 0) {
      return std::string("unknown file format: the file is ") + k.name +
             "-compressed (gzip is read directly); decompress it into a pipe: " + k.tool +
             " FILE | pcapkit read -";
    }
  }
  return "unknown file format";
}

}  // namespace

int CaptureReader::DltFor(uint32_t linktype, uint32_t snaplen, uint32_t* snapshot) {
  // One answer per (link type, snaplen) for the whole process: libpcap's answer never changes,
  // and asking it opens a handle. Bounded like everything a file controls (a hostile file with
  // thousands of distinct values gets correct answers, only slower).
  static std::mutex mutex;
  static std::unordered_map<uint64_t, std::pair<int, uint32_t>> cache;
  uint64_t key = (static_cast<uint64_t>(linktype) << 32) | snaplen;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) {
      *snapshot = it->second.second;
      return it->second.first;
    }
  }
  LinkContext ctx(linktype, snaplen, false);
  int dlt = ctx.ok() ? ctx.dlt() : static_cast<int>(linktype & 0x03ffffff);
  uint32_t snap = ctx.ok() ? ctx.snapshot() : (snaplen ? snaplen : 262144);
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() < 4096) cache.emplace(key, std::make_pair(dlt, snap));
  *snapshot = snap;
  return dlt;
}

CaptureReader::Status CaptureReader::ReadMore(uint8_t* buf, size_t want, size_t* got,
                                              ReadError* error, bool wait) {
  if (!pending_.empty()) {
    size_t n = pending_.size() < want ? pending_.size() : want;
    std::memcpy(buf, pending_.data(), n);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    *got = n;
    return kMore;
  }
  // Big reads for files (fewer syscalls); a pipe returns what it has.
  constexpr size_t kChunk = 256 * 1024;
  if (want > kChunk && src_->regular()) want = kChunk;
  SourceError se;
  ssize_t n = src_->Read(buf, want, &se, wait);
  if (n == -3) {
    *got = 0;
    return kMore;
  }
  if (n == -2) return kInterrupted;
  if (n < 0) {
    error->code = CodeForErrno(se.err);
    error->message = se.err == EBADMSG || se.err == ENODATA ? se.message  // (compressed data: its own words)
                                       : "error reading dump file: " + std::string(std::strerror(se.err));
    error->err = se.err;
    error->offset = offset_;
    return kError;
  }
  if (n == 0) eof_ = true;
  *got = static_cast<size_t>(n);
  return kMore;
}

// Makes pending_ hold at least n bytes from the input's start (header parsing at open).
bool CaptureReader::ReadHeaderBytes(size_t n, ReadError* error, Status* status) {
  while (pending_.size() < n && !eof_) {
    size_t have = pending_.size();
    pending_.resize(n < 65536 ? 65536 : n);
    size_t got = 0;
    std::vector<uint8_t> kept;
    kept.swap(pending_);  // (ReadMore would serve pending_ itself first)
    Status s = ReadMore(kept.data() + have, kept.size() - have, &got, error);
    kept.swap(pending_);
    pending_.resize(have + got);
    if (s != kMore) {
      *status = s;
      return false;
    }
  }
  return pending_.size() >= n;
}

CaptureReader::Status CaptureReader::Open(bool wantNano, ReadError* error) {
  wantNano_ = wantNano;
  Status status = kError;
  if (!ReadHeaderBytes(4, error, &status)) {
    if (status != kError || !error->code.empty()) return status;
    if (pending_.empty()) {
      Set(error, "ETRUNCATED", "empty file (no savefile header)", 0);
    } else {
      Set(error, "ETRUNCATED",
          Printf("truncated dump file; tried to read 4 file header bytes, only got %zu",
                 pending_.size()),
          0);
    }
    return kError;
  }
  uint32_t m;
  std::memcpy(&m, pending_.data(), 4);
  if (m == kBlockSHB) {
    format_ = Format::kPcapng;
    // The section header and the blocks before the first interface, so the file's link type
    // is known at open (as libpcap knows it).
    for (;;) {
      size_t unit = 0;
      bool changed = false;
      PacketView view;
      if (pending_.empty() && eof_) break;
      Step s = pending_.empty()
                   ? kNeedMore
                   : NextPcapng(pending_.data(), pending_.size(), 0, &view, &unit, error, &changed);
      if (s == kBad) {
        format_ = Format::kUnknown;
        return kError;
      }
      if (s == kPacket) {
        Set(error, "EFORMAT", "packet block before any interface description block", offset_);
        format_ = Format::kUnknown;
        return kError;
      }
      if (s == kNeedMore) {
        size_t need = unit ? unit : pending_.size() + 12;
        if (!ReadHeaderBytes(need, error, &status)) {
          if (status == kInterrupted || !error->code.empty()) {
            format_ = Format::kUnknown;
            return status;
          }
          if (pending_.empty()) break;  // a clean end between blocks
          CutShort(pending_.size(), unit, pending_.data(), error);
          if (offset_ == 0) error->message = "the section header block is cut short";
          format_ = Format::kUnknown;
          return kError;
        }
        continue;
      }
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(unit));
      offset_ += static_cast<int64_t>(unit);
      if (!interfaces_.empty()) break;
    }
    fileNano_ = !interfaces_.empty() &&
                (interfaces_[0].binary ? interfaces_[0].units > 1000000
                                       : interfaces_[0].exponent > 6);
    return kMore;
  }

  // Classic pcap: which magic, in which byte order.
  uint32_t magic = m;
  if (magic != kPcapMicro && magic != kPcapNano && magic != kPcapKuznetzov) {
    magic = Swap32(m);
    if (magic != kPcapMicro && magic != kPcapNano && magic != kPcapKuznetzov) {
      Set(error, "EFORMAT", UnknownFormat(pending_.data(), pending_.size()), 0);
      return kError;
    }
    swapped_ = true;
  }
  magic_ = magic;
  if (!ReadHeaderBytes(24, error, &status)) {
    if (!error->code.empty() || status == kInterrupted) return status;
    Set(error, "ETRUNCATED",
        Printf("truncated dump file; tried to read 24 file header bytes, only got %zu",
               pending_.size() - 4),
        0);
    return kError;
  }
  const uint8_t* h = pending_.data();
  major_ = Load16(h + 4, swapped_);
  minor_ = Load16(h + 6, swapped_);
  uint32_t snaplen = Load32(h + 16, swapped_);
  uint32_t linktype = Load32(h + 20, swapped_);
  if (major_ < 2) {
    Set(error, "EFORMAT", "archaic pcap savefile format", 0);
    return kError;
  }
  if (!((major_ == 2 && minor_ <= 4) || (major_ == 543 && minor_ == 0))) {
    Set(error, "EFORMAT", Printf("unsupported pcap savefile version %u.%u", major_, minor_), 0);
    return kError;
  }
  if (linktype & kReservedLinktypeBits) {
    Set(error, "EFORMAT",
        Printf("invalid link type field 0x%x (reserved bits set)", linktype), 0);
    return kError;
  }
  lengthsSwapped_ = major_ == 543 ? 1 : (major_ == 2 && minor_ < 3) ? 1 : (minor_ == 3 ? 2 : 0);
  fileNano_ = magic == kPcapNano;
  recordHeader_ = magic == kPcapKuznetzov ? 24 : 16;
  Interface itf;
  itf.linktype = linktype;
  itf.snaplen = snaplen;
  itf.dlt = DltFor(linktype, snaplen, &itf.snapshot);
  if (magic == kPcapKuznetzov && itf.dlt == 1) {
    // libpcap: such captures may have been made in cooked mode, with a faked Ethernet header
    // added after the snapshot was taken.
    itf.snapshot = itf.snapshot <= 0x7fffffff - 14 ? itf.snapshot + 14 : 0x7fffffff;
  }
  itf.tsresol = fileNano_ ? 9 : 6;
  itf.exponent = fileNano_ ? 9 : 6;
  itf.units = fileNano_ ? 1000000000ull : 1000000ull;
  maxCaplen_ = MaxCaplenForDlt(itf.dlt);
  interfaces_.push_back(itf);
  format_ = Format::kPcap;
  pending_.erase(pending_.begin(), pending_.begin() + 24);
  offset_ = 24;
  return kMore;
}

CaptureReader::Step CaptureReader::Next(uint8_t* buf, size_t avail, size_t arenaBase,
                                        PacketView* view, size_t* unit, ReadError* error,
                                        bool* interfacesChanged) {
  if (format_ == Format::kPcap) return NextPcap(buf, avail, arenaBase, view, unit, error);
  return NextPcapng(buf, avail, arenaBase, view, unit, error, interfacesChanged);
}

__attribute__((always_inline)) inline CaptureReader::Step CaptureReader::NextPcap(uint8_t* buf, size_t avail, size_t arenaBase,
                                            PacketView* view, size_t* unit, ReadError* error) {
  const size_t hs = recordHeader_;
  if (avail < hs) {
    *unit = hs;
    return kNeedMore;
  }
  uint32_t sec = Load32(buf, swapped_);
  uint32_t frac = Load32(buf + 4, swapped_);
  uint32_t caplen = Load32(buf + 8, swapped_);
  uint32_t len = Load32(buf + 12, swapped_);
  if (lengthsSwapped_ == 1 || (lengthsSwapped_ == 2 && caplen > len)) {
    uint32_t t = caplen;
    caplen = len;
    len = t;
  }
  const Interface& itf = interfaces_[0];
  if (caplen > maxCaplen_) {
    if (caplen > itf.snapshot) {
      Set(error, "EFORMAT",
          Printf("invalid packet capture length %u, bigger than snaplen of %u", caplen,
                 itf.snapshot),
          offset_);
    } else {
      Set(error, "EFORMAT",
          Printf("invalid packet capture length %u, bigger than maximum of %u", caplen,
                 maxCaplen_),
          offset_);
    }
    return kBad;
  }
  size_t need = hs + caplen;
  if (avail < need) {
    *unit = need;
    return kNeedMore;
  }
  *unit = need;
  view->data = buf + hs;
  view->offset = arenaBase + hs;
  // libpcap hands out at most the snapshot length of an oversized record.
  view->caplen = caplen > itf.snapshot ? itf.snapshot : caplen;
  view->len = len;
  view->rawSec = sec;
  view->rawFrac = frac;
  haveLastSec_ = true;
  lastSec_ = sec;
  uint64_t nsec = fileNano_ ? frac : static_cast<uint64_t>(frac) * 1000;
  int64_t s = sec;
  // Damaged or hand-made files say 1000000 us: carry the excess into the seconds.
  if (nsec >= 1000000000ull) {
    s += static_cast<int64_t>(nsec / 1000000000ull);
    nsec %= 1000000000ull;
  }
  if (!wantNano_) nsec -= nsec % 1000;
  view->sec = s;
  view->nsec = static_cast<uint32_t>(nsec);
  view->itf = &itf;
  view->flags = 0;
  view->comment = nullptr;
  view->commentLen = 0;
  return kPacket;
}

void CaptureReader::CutShort(size_t have, size_t need, const uint8_t* unit, ReadError* error) {
  error->code = "ETRUNCATED";
  error->offset = offset_;
  if (format_ == Format::kPcap) {
    if (have < recordHeader_) {
      error->message = Printf("truncated dump file; tried to read %zu header bytes, only got %zu",
                              recordHeader_, have);
    } else {
      uint32_t caplen = Load32(unit + 8, swapped_);
      uint32_t len = Load32(unit + 12, swapped_);
      if (lengthsSwapped_ == 1 || (lengthsSwapped_ == 2 && caplen > len)) caplen = len;
      uint32_t want = caplen > interfaces_[0].snapshot ? interfaces_[0].snapshot : caplen;
      size_t got = have - recordHeader_;
      error->message =
          Printf("truncated dump file; tried to read %u captured bytes, only got %zu", want,
                 got < want ? got : static_cast<size_t>(want));
    }
    return;
  }
  // libpcap reads a block's 8-byte header, then the rest: say it in its terms.
  if (have < 8) {
    error->message = Printf("truncated pcapng dump file; tried to read 8 bytes, only got %zu", have);
    return;
  }
  if (need == 0) {
    uint32_t type;
    std::memcpy(&type, unit, 4);
    bool le = le_;
    if (type == kBlockSHB) le = kHostLittle;  // (its own byte order is unknown this short)
    need = SecLoad32(unit + 4, le);
  }
  error->message = Printf("truncated pcapng dump file; tried to read %zu bytes, only got %zu",
                          need - 8, have - 8);
}

__attribute__((always_inline)) inline CaptureReader::Step CaptureReader::NextPcapng(uint8_t* buf, size_t avail, size_t arenaBase,
                                              PacketView* view, size_t* unit, ReadError* error,
                                              bool* interfacesChanged) {
  if (avail < 12) {
    *unit = 0;
    return kNeedMore;
  }
  uint32_t rawType;
  std::memcpy(&rawType, buf, 4);
  bool le;
  // A section header's byte-order magic says how to read that section, its own length included.
  if (!BlockByteOrder(buf, le_, &le)) {
    uint32_t bom;
    std::memcpy(&bom, buf + 8, 4);
    Set(error, "EFORMAT", Printf("bad byte-order magic 0x%08x in section header", bom), offset_);
    return kBad;
  }
  if (rawType != kBlockSHB && !sawSection_) {
    Set(error, "EFORMAT", "the file does not start with a section header block", offset_);
    return kBad;
  }
  uint32_t type = SecLoad32(buf, le);
  uint32_t len = SecLoad32(buf + 4, le);
  if (len < 12 || len % 4 != 0) {
    Set(error, "EFORMAT", Printf("invalid block length %u", len), offset_);
    return kBad;
  }
  if (len > maxBlock_) {
    Set(error, "EFORMAT", Printf("block too large (%u bytes, limit %u)", len, maxBlock_), offset_);
    return kBad;
  }
  if (avail < len) {
    *unit = len;
    return kNeedMore;
  }
  *unit = len;
  uint32_t trailer = SecLoad32(buf + len - 4, le);
  if (trailer != len) {
    Set(error, "EFORMAT", "block total length in header and trailer don't match", offset_);
    return kBad;
  }
  switch (type) {
    case kBlockSHB:
      if (!SectionHeader(buf, len, le, error)) return kBad;
      *interfacesChanged = true;
      return kOther;
    case kBlockIDB:
      if (!InterfaceBlock(buf, len, error)) return kBad;
      *interfacesChanged = true;
      return kOther;
    case kBlockEPB:
    case kBlockPB:
    case kBlockSPB:
      return PacketBlock(type, buf, len, arenaBase, view, error);
    default:
      return kOther;  // NRB, ISB, DSB, custom and unknown blocks
  }
}

bool CaptureReader::SectionHeader(const uint8_t* b, uint32_t len, bool le, ReadError* error) {
  if (len < 28) {
    Set(error, "EFORMAT", Printf("section header block too short (%u bytes)", len), offset_);
    return false;
  }
  uint16_t major = SecLoad16(b + 12, le);
  uint16_t minor = SecLoad16(b + 14, le);
  // 1.2 only adds block types; 1.1 was never defined (libpcap and tshark refuse it).
  if (major != 1 || (minor != 0 && minor != 2)) {
    Set(error, "EFORMAT", Printf("unsupported pcapng savefile version %u.%u", major, minor),
        offset_);
    return false;
  }
  std::string bad;
  if (!ForEachOption(b, 24, len - 4, le, &bad, [](uint16_t, const uint8_t*, uint16_t) {})) {
    Set(error, "EFORMAT", bad, offset_);
    return false;
  }
  if (sawSection_) section_++;
  sawSection_ = true;
  le_ = le;
  sectionFirst_ = interfaces_.size();
  return true;
}

bool CaptureReader::InterfaceBlock(const uint8_t* b, uint32_t len, ReadError* error) {
  if (len < 20) {
    Set(error, "EFORMAT", Printf("interface description block too short (%u bytes)", len),
        offset_);
    return false;
  }
  if (interfaces_.size() >= kMaxInterfaces) {
    Set(error, "EFORMAT",
        Printf("too many interfaces (more than %zu interface description blocks)", kMaxInterfaces),
        offset_);
    return false;
  }
  const bool le = le_;
  Interface itf;
  itf.global = static_cast<uint32_t>(interfaces_.size());
  itf.section = section_;
  itf.index = static_cast<uint32_t>(interfaces_.size() - sectionFirst_);
  itf.linktype = SecLoad16(b + 8, le);
  itf.snaplen = SecLoad32(b + 12, le);
  std::string bad;
  bool badResol = false;
  bool ok = ForEachOption(b, 16, len - 4, le, &bad, [&](uint16_t code, const uint8_t* v, uint16_t n) {
    if (code == kOptIfName) {
      itf.name = BoundedString(v, n);
    } else if (code == kOptIfDescription) {
      itf.description = BoundedString(v, n);
    } else if (code == kOptIfTsresol && n >= 1) {
      itf.tsresol = v[0];
    } else if (code == kOptIfTsoffset && n >= 8) {
      uint64_t u;
      std::memcpy(&u, v, 8);
      if (le != kHostLittle) u = __builtin_bswap64(u);
      itf.tsoffset = static_cast<int64_t>(u);
    }
  });
  if (!ok) {
    Set(error, "EFORMAT", bad, offset_);
    return false;
  }
  itf.binary = (itf.tsresol & 0x80) != 0;
  itf.exponent = itf.tsresol & 0x7f;
  if (itf.binary) {
    badResol = itf.exponent > 63;
    if (!badResol) itf.units = 1ull << itf.exponent;
  } else {
    badResol = itf.exponent > 19;
    if (!badResol) {
      itf.units = 1;
      for (uint32_t i = 0; i < itf.exponent; i++) itf.units *= 10;
    }
  }
  if (badResol) {
    Set(error, "EFORMAT", Printf("unsupported if_tsresol 0x%02x", itf.tsresol), offset_);
    return false;
  }
  itf.dlt = DltFor(itf.linktype, itf.snaplen, &itf.snapshot);
  // libpcap grows its block limit for link types with bigger packets.
  uint32_t need = MaxCaplenForDlt(itf.dlt) + 65536;
  if (need > maxBlock_) maxBlock_ = need;
  interfaces_.push_back(std::move(itf));
  return true;
}

__attribute__((always_inline)) inline bool CaptureReader::Stamp(const Interface& itf, uint64_t ticks, PacketView* view,
                          ReadError* error) {
  uint64_t sec, nsec;
  if (itf.binary) {
    sec = itf.exponent == 0 ? ticks : ticks >> itf.exponent;
    uint64_t frac = itf.exponent == 0 ? 0 : ticks & (itf.units - 1);
    nsec = static_cast<uint64_t>((static_cast<unsigned __int128>(frac) * 1000000000u) >>
                                 itf.exponent);
  } else if (itf.units == 1000000000ull) {  // the common resolutions: divisions by constants
    sec = ticks / 1000000000ull;
    nsec = ticks % 1000000000ull;
  } else if (itf.units == 1000000ull) {
    sec = ticks / 1000000ull;
    nsec = (ticks % 1000000ull) * 1000;
  } else {
    sec = ticks / itf.units;
    uint64_t frac = ticks % itf.units;
    if (itf.exponent <= 9) {
      uint64_t mul = 1;
      for (uint32_t i = itf.exponent; i < 9; i++) mul *= 10;
      nsec = frac * mul;
    } else {
      uint64_t div = 1;
      for (uint32_t i = 9; i < itf.exponent; i++) div *= 10;
      nsec = frac / div;  // finer than nanoseconds: truncated, as libpcap and tshark do
    }
  }
  int64_t s;
  if (sec > static_cast<uint64_t>(INT64_MAX) ||
      __builtin_add_overflow(static_cast<int64_t>(sec), itf.tsoffset, &s)) {
    Set(error, "EFORMAT", "packet timestamp out of range", offset_);
    return false;
  }
  if (!wantNano_) nsec -= nsec % 1000;
  view->sec = s;
  view->nsec = static_cast<uint32_t>(nsec);
  return true;
}

__attribute__((always_inline)) inline CaptureReader::Step CaptureReader::PacketBlock(uint32_t type, uint8_t* b, uint32_t len,
                                               size_t arenaBase, PacketView* view,
                                               ReadError* error) {
  const bool le = le_;
  view->flags = 0;
  view->comment = nullptr;
  view->commentLen = 0;
  view->rawSec = 0;
  view->rawFrac = 0;
  const size_t sectionCount = interfaces_.size() - sectionFirst_;
  if (type == kBlockSPB) {
    if (len < 16) {
      Set(error, "EFORMAT", Printf("simple packet block too short (%u bytes)", len), offset_);
      return kBad;
    }
    if (sectionCount == 0) {
      Set(error, "EFORMAT", "simple packet block, but the section has no interface", offset_);
      return kBad;
    }
    const Interface& itf = interfaces_[sectionFirst_];
    uint32_t orig = SecLoad32(b + 8, le);
    uint32_t caplen = orig < len - 16 ? orig : len - 16;
    if (itf.snaplen != 0 && caplen > itf.snaplen) caplen = itf.snaplen;
    if (caplen > itf.snapshot) caplen = itf.snapshot;
    view->data = b + 12;
    view->offset = arenaBase + 12;
    view->caplen = caplen;
    view->len = orig;
    view->sec = 0;
    view->nsec = 0;
    view->itf = &itf;
    return kPacket;
  }
  if (len < 32) {
    Set(error, "EFORMAT", Printf("packet block too short (%u bytes)", len), offset_);
    return kBad;
  }
  uint32_t ifIndex = type == kBlockEPB ? SecLoad32(b + 8, le) : SecLoad16(b + 8, le);
  if (ifIndex >= sectionCount) {
    Set(error, "EFORMAT",
        Printf("packet for interface %u, but the section has %zu interface(s)", ifIndex,
               sectionCount),
        offset_);
    return kBad;
  }
  const Interface& itf = interfaces_[sectionFirst_ + ifIndex];
  uint32_t caplen = SecLoad32(b + 20, le);
  if (caplen > len - 32) {
    Set(error, "EFORMAT",
        Printf("captured length %u does not fit in a block of %u bytes", caplen, len), offset_);
    return kBad;
  }
  uint32_t orig = SecLoad32(b + 24, le);
  size_t optStart = 28 + Pad4(caplen);
  if (optStart < len - 4) {
    std::string bad;
    bool ok = ForEachOption(b, optStart, len - 4, le, &bad,
                            [&](uint16_t code, const uint8_t* v, uint16_t n) {
                              if (code == kOptComment && view->comment == nullptr) {
                                view->comment = v;
                                view->commentLen = n;
                              } else if (code == kOptEpbFlags && n == 4) {
                                view->flags = SecLoad32(v, le);
                              }
                            });
    if (!ok) {
      Set(error, "EFORMAT", bad, offset_);
      return kBad;
    }
  }
  uint64_t ticks = (static_cast<uint64_t>(SecLoad32(b + 12, le)) << 32) | SecLoad32(b + 16, le);
  if (!Stamp(itf, ticks, view, error)) return kBad;
  view->data = b + 28;
  view->offset = arenaBase + 28;
  view->caplen = caplen > itf.snapshot ? itf.snapshot : caplen;
  view->len = orig;
  view->itf = &itf;
  return kPacket;
}

int CaptureReader::PlausiblePcap(const uint8_t* p, size_t avail, bool withNext,
                                 size_t* need) const {
  const size_t hs = recordHeader_;
  if (avail < hs) {
    if (eof_) return 0;
    *need = hs;
    return -1;
  }
  uint32_t sec = Load32(p, swapped_);
  uint32_t frac = Load32(p + 4, swapped_);
  uint32_t caplen = Load32(p + 8, swapped_);
  uint32_t len = Load32(p + 12, swapped_);
  if (lengthsSwapped_ == 1 || (lengthsSwapped_ == 2 && caplen > len)) std::swap(caplen, len);
  const Interface& itf = interfaces_[0];
  if (caplen > itf.snapshot || caplen > maxCaplen_ || len < caplen || len > (64u << 20)) return 0;
  if (frac >= (fileNano_ ? 1000000000u : 1000000u)) return 0;
  // Within a year of the last good record (a capture does not jump further; random bytes do).
  if (haveLastSec_) {
    int64_t d = static_cast<int64_t>(sec) - static_cast<int64_t>(lastSec_);
    if (d > 366 * 86400LL || d < -366 * 86400LL) return 0;
  }
  if (!withNext) return 1;
  size_t end = hs + caplen;
  if (avail < end) {
    if (eof_) return 0;
    *need = end + hs;
    return -1;
  }
  if (avail == end && eof_) return 1;  // the last record of the input
  size_t ignored = 0;
  int next = PlausiblePcap(p + end, avail - end, false, &ignored);
  if (next < 0) {
    *need = end + hs;
    return -1;
  }
  return next;
}

int CaptureReader::PlausiblePcapng(const uint8_t* p, size_t avail, bool withNext,
                                   size_t* need) const {
  if (avail < 12) {
    if (eof_) return 0;
    *need = 12;
    return -1;
  }
  bool le;
  if (!BlockByteOrder(p, le_, &le)) return 0;
  uint32_t type = SecLoad32(p, le);
  uint32_t len = SecLoad32(p + 4, le);
  switch (type) {
    case kBlockSHB: case kBlockIDB: case kBlockPB: case kBlockSPB: case 4: case 5: case kBlockEPB:
    case 0x0a: case 0x0bad: case 0x40000bad:
      break;
    default:
      return 0;
  }
  if (len < 12 || len % 4 != 0 || len > maxBlock_) return 0;
  if (type == kBlockEPB && len < 32) return 0;
  if (avail < len) {
    if (eof_) return 0;
    *need = len;
    return -1;
  }
  if (SecLoad32(p + len - 4, le) != len) return 0;
  if (type == kBlockEPB) {
    if (SecLoad32(p + 8, le) >= interfaces_.size() - sectionFirst_) return 0;
    if (SecLoad32(p + 20, le) > len - 32) return 0;
  }
  if (!withNext || (avail == len && eof_)) return 1;
  size_t ignored = 0;
  int next = PlausiblePcapng(p + len, avail - len, false, &ignored);
  if (next < 0) {
    *need = len + ignored;
    return -1;
  }
  return next;
}

CaptureReader::Status CaptureReader::Resync(uint64_t* skipped, ReadError* error) {
  const size_t step = format_ == Format::kPcapng ? 4 : 1;
  // The damaged unit's first bytes go whatever follows.
  size_t i = step;
  for (;;) {
    while (i < pending_.size() || (eof_ && i <= pending_.size())) {
      size_t need = 0;
      int ok = format_ == Format::kPcapng
                   ? PlausiblePcapng(pending_.data() + i, pending_.size() - i, true, &need)
                   : PlausiblePcap(pending_.data() + i, pending_.size() - i, true, &need);
      if (ok < 0) {
        Status status = kMore;
        ReadHeaderBytes(i + need, error, &status);
        if (status != kMore) return status;
        continue;  // judge the same offset with more bytes (or at the end of the input)
      }
      if (ok > 0) {
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(i));
        *skipped += i;
        offset_ += static_cast<int64_t>(i);
        return kMore;
      }
      i += step;
      if (i >= pending_.size() && eof_) break;
    }
    if (eof_) {
      *skipped += pending_.size();
      offset_ += static_cast<int64_t>(pending_.size());
      pending_.clear();
      return kEof;
    }
    // Keep memory bounded: what was scanned is skipped for good.
    if (i > (1u << 20)) {
      size_t drop = i - (i % step);
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(drop));
      *skipped += drop;
      offset_ += static_cast<int64_t>(drop);
      i -= drop;
    }
    Status status = kMore;
    ReadHeaderBytes(pending_.size() + 65536, error, &status);
    if (status != kMore) return status;
  }
}

}  // namespace engine
}  // namespace pcapkit
