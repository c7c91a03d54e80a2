// libFuzzer target for the native savefile reader (scripts/fuzz.sh builds and runs it).
//
// Each input is a whole file. It is put in a memfd and opened by path the way the addon opens
// files (native/savefile.cc OpenSavefile, native/offline.cc's constructor: the same precision
// choice, a second handle to compile filters with), then read to the end twice:
//   - through the direct record reader (native/pcap_records.cc PcapRecordReader::Fill), when
//     the file is one it takes (classic pcap in host order);
//   - through libpcap's pcap_next_ex into a BatchWriter (native/batch.h), exactly as
//     offline.cc's ReadBatchWorker::Execute does (including the packet kept for the next batch
//     when it does not fit, and the arena growing when JS is told `needBytes`).
// Both runs apply a BPF filter compiled against the file's handle, and every packet that comes
// out is matched once more by a filter compiled on a dead handle (BpfFilter.matches in JS),
// from an exactly sized copy so that any read past caplen is an ASan error.
//
// Beyond "no crash, no leak, no UB", the target checks what JS relies on: every packet lies
// inside its arena, 0 <= tsNsec < 1e9, caplen <= snaplen, open failures carry a code and a
// message, no endless loop. For files both paths read it also checks that they agree (same
// packets, same bytes, same timestamps, same end: EOF / ETRUNCATED / EFORMAT); set
// PCAPKIT_FUZZ_NO_DIFF=1 to skip that comparison.
//
// offline.cc itself is not linked: OfflineHandle and its read loop are N-API classes
// (ObjectWrap, AsyncWorker). The loop below mirrors ReadBatchWorker::Execute line for line;
// keep them in step. The plain C++ pieces it calls are the real ones.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../batch.h"
#include "../bpf.h"
#include "../errors.h"
#include "../pcap_records.h"
#include "../savefile.h"

using namespace pcapkit;

namespace {

// Filters picked per input (from a hash of it). Some do not compile for every link type:
// that error path is part of what is exercised.
const char* const kFilters[] = {
    "",
    "tcp",
    "udp port 53",
    "ip6",
    "vlan and ip",
    "icmp or arp",
    "ip[0] & 0xf > 5",
    "greater 100",
    "tcp[tcpflags] & tcp-syn != 0",
    "not ether broadcast",
    "ip6 and ip6[6] == 17",
    "len < 64 or ip[2:2] > 1000",
};
constexpr size_t kNumFilters = sizeof kFilters / sizeof kFilters[0];

// The reader's batch sizes in JS are batchBytes >= 4096, batchPackets >= 1; small ones make
// records straddle batches (the carry in PcapRecordReader, the pending packet in offline.cc).
const size_t kBatchBytes[] = {4096, 4096 + 24, 65536};
const size_t kBatchPackets[] = {1, 3, 64};

struct Config {
  bool wantNano;
  size_t batchBytes;
  size_t batchPackets;
  const char* filter;      // compiled with the file's handle (reader.setFilter / filter option)
  const char* deadFilter;  // compiled on a dead handle (BpfFilter)
};

uint64_t Fnv(const uint8_t* d, size_t n) {
  uint64_t h = 1469598103934665603ull ^ n;
  for (size_t i = 0; i < n; i++) h = (h ^ d[i]) * 1099511628211ull;
  return h;
}

struct Pkt {
  double sec, nsec;
  uint32_t caplen, len;
  std::vector<uint8_t> data;
};

struct Run {
  std::vector<Pkt> pkts;
  size_t read = 0;  // records consumed before the filter
  bool failed = false;
  std::string code;  // ETRUNCATED / EFORMAT on failure
  std::string message;
  int64_t offset = -1;
};

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "savefile_fuzzer: invariant broken: %s\n", what);
  std::abort();
}

bool DiffEnabled() {
  static const bool on = [] {
    const char* e = std::getenv("PCAPKIT_FUZZ_NO_DIFF");
    return e == nullptr || e[0] == '\0' || e[0] == '0';
  }();
  return on;
}

// What offline.cc's constructor sets up, minus the JS object.
struct Handle {
  pcap_t* pcap = nullptr;
  pcap_t* compilePcap = nullptr;
  int linktype = 0;
  int snaplen = 0;
  uint32_t magic = 0;
  uint32_t nsecFactor = 1;
  bool wantMicro = false;
  CompiledFilter filter;

  ~Handle() {
    if (pcap != nullptr) pcap_close(pcap);
    if (compilePcap != nullptr) pcap_close(compilePcap);
  }

  // Returns false when OpenSavefile refuses the file (after checking the refusal is typed).
  bool Open(const std::string& path, const Config& cfg) {
    int precision = cfg.wantNano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
    wantMicro = !cfg.wantNano;
    uint32_t m = PeekMagic(path);
    int openPrecision = precision;
    if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1) {
      openPrecision = PCAP_TSTAMP_PRECISION_MICRO;
    } else if (m == 0xa1b23c4d || m == 0x4d3cb2a1) {
      openPrecision = PCAP_TSTAMP_PRECISION_NANO;
    }
    nsecFactor = openPrecision == PCAP_TSTAMP_PRECISION_MICRO ? 1000 : 1;
    SavefileOpen r = OpenSavefile(path, openPrecision);
    if (r.pcap == nullptr) {
      if (r.code.empty() || r.message.empty()) Fail("open failed without a code or message");
      if (r.code != "ETRUNCATED" && r.code != "EFORMAT") Fail("open failed with an unexpected code");
      return false;
    }
    if (r.fileSize < 0) Fail("memfd not seen as a regular file");
    pcap = r.pcap;
    magic = r.magic;
    if (magic != m) Fail("PeekMagic and OpenSavefile disagree");
    linktype = pcap_datalink(pcap);
    snaplen = pcap_snapshot(pcap);
    if (snaplen <= 0) Fail("non-positive snaplen from an opened file");
    SavefileOpen c = OpenSavefile(path, openPrecision);
    if (c.pcap == nullptr) Fail("second open of the same file failed");
    compilePcap = c.pcap;
    if (cfg.filter[0] != '\0') {
      std::string error;
      if (!filter.CompileWith(compilePcap, cfg.filter, PCAP_NETMASK_UNKNOWN, &error)) {
        if (error.empty()) Fail("filter compile failed without a message");
        filter.Reset();  // the reader would throw EFILTER; read unfiltered instead
      }
    }
    return true;
  }
};

// One batch's arena and header table, sized exactly so ASan sees any write past either.
struct Batch {
  std::unique_ptr<uint8_t[]> arena;
  std::unique_ptr<double[]> hdr;
  BatchWriter w;
  Batch(size_t bytes, size_t packets)
      : arena(new uint8_t[bytes]),
        hdr(new double[packets * HDR_STRIDE]),
        w{arena.get(), bytes, hdr.get(), packets} {}
};

// Takes the packets out of a finished batch the way lib/batch.ts views them.
void Collect(const Batch& b, const Handle& h, const CompiledFilter& dead, Run* run) {
  const BatchWriter& w = b.w;
  if (w.count > w.maxPackets) Fail("more packets than header slots");
  if (w.used > w.arenaSize) Fail("batch bytes beyond the arena");
  for (size_t i = 0; i < w.count; i++) {
    const double* slot = w.hdr + i * HDR_STRIDE;
    double off = slot[H_OFFSET], cap = slot[H_CAPLEN];
    if (!(off >= 0) || !(cap >= 0) || off + cap > static_cast<double>(w.used))
      Fail("packet outside the batch's bytes");
    if (cap > h.snaplen) Fail("caplen above the snaplen");
    if (slot[H_LINKTYPE] != h.linktype) Fail("wrong link type in a header");
    if (!(slot[H_TS_NSEC] >= 0 && slot[H_TS_NSEC] < 1e9)) Fail("tsNsec out of range");
    if (h.wantMicro && std::fmod(slot[H_TS_NSEC], 1000) != 0) Fail("micro precision with ns");
    if (!(slot[H_TS_SEC] >= 0)) Fail("negative seconds");
    Pkt p;
    p.sec = slot[H_TS_SEC];
    p.nsec = slot[H_TS_NSEC];
    p.caplen = static_cast<uint32_t>(cap);
    p.len = static_cast<uint32_t>(slot[H_LEN]);
    p.data.assign(w.arena + static_cast<size_t>(off), w.arena + static_cast<size_t>(off) + p.caplen);
    if (!dead.empty()) {
      pcap_pkthdr ph{};
      ph.caplen = p.caplen;
      ph.len = p.len < p.caplen ? p.caplen : p.len;
      // An exactly sized heap copy: a filter reading past caplen is a heap overflow here.
      std::unique_ptr<uint8_t[]> exact(new uint8_t[p.caplen ? p.caplen : 1]);
      if (p.caplen) std::memcpy(exact.get(), p.data.data(), p.caplen);
      volatile bool m = dead.Matches(&ph, exact.get());
      (void)m;
    }
    run->pkts.push_back(std::move(p));
  }
}

constexpr size_t kMaxBatches = 1u << 20;

// The direct path: ReadBatchWorker::Execute's `if (h->direct_)` branch, batch after batch as
// lib/reader.ts asks for them.
void ReadDirect(Handle& h, const Config& cfg, const CompiledFilter& dead, Run* run) {
  PcapRecordReader records;
  records.Init(pcap_file(h.pcap), h.magic == 0xa1b23c4d, cfg.wantNano,
               static_cast<uint32_t>(h.snaplen));
  size_t bytes = cfg.batchBytes;
  for (size_t n = 0;; n++) {
    if (n > kMaxBatches) Fail("direct reader never reaches the end");
    Batch b(bytes, cfg.batchPackets);
    size_t read = 0, needBytes = 0;
    std::string error;
    PcapRecordReader::Status st = records.Fill(&b.w, h.filter, h.linktype, &read, &needBytes, &error);
    run->read += read;
    Collect(b, h, dead, run);
    if (st == PcapRecordReader::kError) {
      if (error.empty()) Fail("direct reader error without a message");
      run->failed = true;
      run->message = error;
      run->code = CodeForSavefileMessage(error);
      run->offset = SavefileOffset(h.pcap);
      return;
    }
    if (st == PcapRecordReader::kEof) return;
    if (needBytes > 0 && b.w.count == 0) {
      if (needBytes <= bytes && needBytes > 0) Fail("needBytes does not exceed the arena");
      bytes = std::max(bytes * 2, needBytes + 8);
    }
  }
}

// The libpcap path: the rest of ReadBatchWorker::Execute.
void ReadLibpcap(Handle& h, const Config& cfg, const CompiledFilter& dead, Run* run) {
  pcap_t* p = h.pcap;
  bool pendingValid = false;
  pcap_pkthdr pendingHdr{};
  const u_char* pendingData = nullptr;
  size_t bytes = cfg.batchBytes;
  bool eof = false;
  for (size_t n = 0; !eof; n++) {
    if (n > kMaxBatches) Fail("libpcap path never reaches the end");
    Batch b(bytes, cfg.batchPackets);
    BatchWriter& w = b.w;
    size_t needBytes = 0, read = 0;
    bool failed = false;
    std::string errorMessage;
    int64_t offset = -1;
    do {
      if (pendingValid) {
        if (!w.Fits(pendingHdr.caplen)) {
          needBytes = pendingHdr.caplen;
          break;
        }
        w.Add(&pendingHdr, pendingData, h.linktype, h.nsecFactor, h.wantMicro);
        pendingValid = false;
      }
      while (!w.Full()) {
        pcap_pkthdr* hdr = nullptr;
        const u_char* data = nullptr;
        int rc = pcap_next_ex(p, &hdr, &data);
        if (rc == 1) {
          read++;
          if (!h.filter.Matches(hdr, data)) continue;
          if (!w.Fits(hdr->caplen)) {
            pendingHdr = *hdr;
            pendingData = data;
            pendingValid = true;
            if (w.count == 0) needBytes = hdr->caplen;
            break;
          }
          w.Add(hdr, data, h.linktype, h.nsecFactor, h.wantMicro);
        } else if (rc == PCAP_ERROR_BREAK) {
          eof = true;
          break;
        } else {
          failed = true;
          errorMessage = pcap_geterr(p);
          offset = SavefileOffset(p);
          break;
        }
      }
    } while (false);
    run->read += read;
    Collect(b, h, dead, run);
    if (failed) {
      if (errorMessage.empty()) Fail("libpcap error without a message");
      run->failed = true;
      run->message = errorMessage;
      run->code = CodeForSavefileMessage(errorMessage);
      run->offset = offset;
      return;
    }
    if (needBytes > 0 && w.count == 0 && !eof) bytes = std::max(bytes * 2, needBytes + 8);
  }
}

void Compare(const Run& a, const Run& b, const uint8_t* data, size_t size) {
  const char* what = nullptr;
  size_t at = 0;
  if (a.pkts.size() != b.pkts.size()) {
    what = "packet count";
  } else if (a.read != b.read) {
    what = "records read";
  } else if (a.failed != b.failed || a.code != b.code) {
    what = "how the file ends";
  } else {
    for (; at < a.pkts.size(); at++) {
      const Pkt &x = a.pkts[at], &y = b.pkts[at];
      if (x.sec != y.sec || x.nsec != y.nsec) what = "timestamp";
      else if (x.caplen != y.caplen) what = "caplen";
      else if (x.len != y.len) what = "wire length";
      else if (x.data != y.data) what = "packet bytes";
      if (what) break;
    }
  }
  if (what == nullptr) return;
  std::fprintf(stderr,
               "savefile_fuzzer: direct reader and libpcap disagree on %s (packet %zu)\n"
               "  direct : %zu packets, %zu read, %s %s\n  libpcap: %zu packets, %zu read, %s %s\n",
               what, at, a.pkts.size(), a.read, a.failed ? a.code.c_str() : "EOF",
               a.message.c_str(), b.pkts.size(), b.read, b.failed ? b.code.c_str() : "EOF",
               b.message.c_str());
  if (at < a.pkts.size() && at < b.pkts.size()) {
    const Pkt &x = a.pkts[at], &y = b.pkts[at];
    std::fprintf(stderr, "  direct : %.0f.%09.0f caplen %u len %u\n  libpcap: %.0f.%09.0f caplen %u len %u\n",
                 x.sec, x.nsec, x.caplen, x.len, y.sec, y.nsec, y.caplen, y.len);
  }
  (void)data;
  (void)size;
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t hash = Fnv(data, size < 64 ? size : 64);
  Config cfg;
  cfg.wantNano = (hash & 1) != 0;
  cfg.batchBytes = kBatchBytes[(hash >> 1) % 3];
  cfg.batchPackets = kBatchPackets[(hash >> 3) % 3];
  cfg.filter = kFilters[(hash >> 5) % kNumFilters];
  cfg.deadFilter = kFilters[(hash >> 13) % kNumFilters];

  int fd = memfd_create("savefile", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  size_t off = 0;
  while (off < size) {
    ssize_t n = write(fd, data + off, size - off);
    if (n <= 0) std::abort();
    off += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);

  Run direct, viaLibpcap;
  bool haveDirect = false;
  {
    Handle h;
    if (!h.Open(path, cfg)) {
      close(fd);
      return 0;
    }
    CompiledFilter dead;
    if (cfg.deadFilter[0] != '\0') {
      std::string error;
      if (!dead.Compile(h.linktype, h.snaplen, cfg.deadFilter, PCAP_NETMASK_UNKNOWN, &error))
        dead.Reset();
    }
    if (PcapRecordReader::Eligible(h.magic, h.pcap)) {
      haveDirect = true;
      ReadDirect(h, cfg, dead, &direct);
    }
  }
  {
    Handle h;
    if (!h.Open(path, cfg)) Fail("a file that opened once failed to open again");
    CompiledFilter dead;
    if (cfg.deadFilter[0] != '\0') {
      std::string error;
      if (!dead.Compile(h.linktype, h.snaplen, cfg.deadFilter, PCAP_NETMASK_UNKNOWN, &error))
        dead.Reset();
    }
    ReadLibpcap(h, cfg, dead, &viaLibpcap);
  }
  if (haveDirect && DiffEnabled()) Compare(direct, viaLibpcap, data, size);
  close(fd);
  return 0;
}
