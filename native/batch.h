// The batch format shared by every producer of packets (file reader, live capture, pcapng
// parser in JS) and every consumer (JS Packet views, the dumper).
//
// A batch is an arena (bytes of the packets, back to back) plus a Float64Array of headers,
// HDR_STRIDE numbers per packet. Doubles hold 53-bit integers exactly, which covers 64-bit
// seconds for any real date and every length; one typed array keeps the JS side cheap.
#pragma once
#include <pcap/pcap.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pcapkit {

enum HeaderSlot {
  H_TS_SEC = 0,
  H_TS_NSEC = 1,
  H_CAPLEN = 2,
  H_LEN = 3,
  H_OFFSET = 4,
  H_LINKTYPE = 5,
  H_IFINDEX = 6,
  H_FLAGS = 7,
  HDR_STRIDE = 8,
};

// Classic pcap stores seconds as an unsigned 32-bit field, but libpcap 1.10 sign-extends it
// (a 2106 timestamp comes back as -1). pcapng seconds are computed unsigned and never land in
// [INT32_MIN, 0), so undoing the sign extension there is exact for both formats.
inline double UnsignedSeconds(int64_t sec) {
  if (sec < 0 && sec >= INT32_MIN) return static_cast<double>(sec + 4294967296LL);
  return static_cast<double>(sec);
}

// Savefile fractions can be out of range (a damaged or hand-made file says 1000000 us);
// carry the excess into the seconds so every packet has 0 <= tsNsec < 1e9.
inline void NormalizeTime(double* sec, uint64_t* nsec) {
  if (*nsec >= 1000000000ull) {
    *sec += static_cast<double>(*nsec / 1000000000ull);
    *nsec %= 1000000000ull;
  }
}

struct BatchWriter {
  uint8_t* arena;
  size_t arenaSize;
  double* hdr;
  size_t maxPackets;
  size_t used = 0;
  size_t count = 0;

  bool Fits(size_t caplen) const { return count < maxPackets && used + caplen <= arenaSize; }

  // nsecFactor is 1000 when libpcap hands out microseconds and 1 when it hands out
  // nanoseconds; wantMicro truncates the result to whole microseconds.
  void Add(const pcap_pkthdr* h, const u_char* data, int linktype, uint32_t nsecFactor,
           bool wantMicro) {
    double* slot = hdr + count * HDR_STRIDE;
    double sec = UnsignedSeconds(static_cast<int64_t>(h->ts.tv_sec));
    // libpcap keeps the fraction in a signed field: read it back as the file's 32 bits.
    uint64_t nsec = static_cast<uint64_t>(static_cast<uint32_t>(h->ts.tv_usec)) * nsecFactor;
    NormalizeTime(&sec, &nsec);
    if (wantMicro) nsec -= nsec % 1000;
    slot[H_TS_SEC] = sec;
    slot[H_TS_NSEC] = static_cast<double>(nsec);
    slot[H_CAPLEN] = h->caplen;
    slot[H_LEN] = h->len;
    slot[H_OFFSET] = static_cast<double>(used);
    slot[H_LINKTYPE] = linktype;
    slot[H_IFINDEX] = 0;
    slot[H_FLAGS] = 0;
    if (h->caplen) std::memcpy(arena + used, data, h->caplen);
    // Keep every packet 8-byte aligned so DataView/typed-array reads in decoders stay cheap.
    used += (h->caplen + 7u) & ~static_cast<size_t>(7);
    if (used > arenaSize) used = arenaSize;
    count++;
  }
};

}  // namespace pcapkit
