#include "link_context.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace pcapkit {
namespace engine {

uint32_t MaxCaplenForDlt(int dlt) {
  // libpcap 1.10 pcap-int.h / pcap-common.c: max_snaplen_for_dlt()
  switch (dlt) {
    case 231:  // DLT_DBUS
      return 128 * 1024 * 1024;
    case 279:  // DLT_EBHSCR
      return 8 * 1024 * 1024;
    case 249:  // DLT_USBPCAP
      return 1024 * 1024;
    default:
      return 262144;
  }
}

namespace {

void Put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void Put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

}  // namespace

namespace {

// Runs libpcap's dumper on `p` into memory and returns the file header it wrote.
bool DumpHeader(pcap_t* p, std::vector<uint8_t>* out, std::string* error) {
  char* mem = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&mem, &size);
  if (f == nullptr) {
    *error = "out of memory";
    return false;
  }
  pcap_dumper_t* d = pcap_dump_fopen(p, f);
  if (d == nullptr) {
    *error = pcap_geterr(p);
    // libpcap names the stream "stream: "; the caller names the file.
    if (error->rfind("stream: ", 0) == 0) error->erase(0, 8);
    std::fclose(f);
    std::free(mem);
    return false;
  }
  pcap_dump_close(d);  // flushes and closes f; mem/size now hold the header
  out->assign(reinterpret_cast<uint8_t*>(mem), reinterpret_cast<uint8_t*>(mem) + size);
  std::free(mem);
  return true;
}

}  // namespace

LinkContext::LinkContext(uint32_t linktype, uint32_t snaplen, bool precisionNano)
    : linktype_(linktype) {
  uint8_t* hdr = synthetic_;
  Put32(hdr, precisionNano ? 0xa1b23c4d : 0xa1b2c3d4);
  Put16(hdr + 4, 2);
  Put16(hdr + 6, 4);
  Put32(hdr + 8, 0);
  Put32(hdr + 12, 0);
  Put32(hdr + 16, snaplen);
  Put32(hdr + 20, linktype);
  // fmemopen copies nothing: the buffer (a member) outlives the FILE.
  FILE* f = fmemopen(hdr, sizeof synthetic_, "rb");
  if (f == nullptr) {
    error_ = "cannot create a BPF context (out of memory)";
    return;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_.reset(pcap_fopen_offline_with_tstamp_precision(
      f, precisionNano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, errbuf));
  if (pcap_ == nullptr) {
    std::fclose(f);
    error_ = errbuf[0] ? errbuf : "cannot create a BPF context";
    return;
  }
  dlt_ = pcap_datalink(pcap_.get());
  snapshot_ = static_cast<uint32_t>(pcap_snapshot(pcap_.get()));
}

LinkContext::~LinkContext() = default;

bool LinkContext::Header(std::vector<uint8_t>* out, std::string* error) {
  return DumpHeader(pcap_.get(), out, error);
}

bool LinkContext::Compile(const std::string& expr, bpf_program* prog, std::string* error) {
  if (pcap_compile(pcap_.get(), prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    *error = pcap_geterr(pcap_.get());
    return false;
  }
  return true;
}

bool DeadHeader(int dlt, uint32_t snaplen, bool nano, std::vector<uint8_t>* out,
                std::string* error) {
  PcapHandle dead(pcap_open_dead_with_tstamp_precision(
      dlt, static_cast<int>(snaplen),
      nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO));
  if (dead == nullptr) {
    *error = "cannot create a dumper for this link type";
    return false;
  }
  return DumpHeader(dead.get(), out, error);
}

int64_t LinktypeForDlt(int dlt) {
  static std::mutex mutex;
  static std::unordered_map<int, int64_t> cache;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(dlt);
    if (it != cache.end()) return it->second;
  }
  int64_t result = -1;
  std::vector<uint8_t> header;
  std::string error;
  if (DeadHeader(dlt, 262144, false, &header, &error) && header.size() >= 24) {
    uint32_t lt;
    std::memcpy(&lt, header.data() + 20, 4);
    result = lt;
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() < 4096) cache[dlt] = result;
  return result;
}

}  // namespace engine
}  // namespace pcapkit
