#include "file_copy.h"

#include <map>
#include <mutex>
#include <tuple>

namespace pcapkit {
namespace engine {

InterfaceDesc DescribeInterface(const Interface& itf) {
  InterfaceDesc d;
  d.linktype = itf.linktype & 0xffff;
  d.snaplen = itf.snaplen;
  d.name = itf.name;
  d.description = itf.description;
  bool finer = itf.binary ? itf.exponent > 29 : itf.exponent > 9;
  d.tsresol = finer ? 9 : itf.tsresol;
  d.tsoffset = itf.tsoffset;
  return d;
}

bool PacketCopier::Prepare(WriteError* error) {
  if (kind_ == CaptureWriter::Kind::kPcapng) return true;
  const auto& itfs = reader_->interfaces();
  // A pcapng input without any interface has no link type to give the header; write
  // Ethernet, as an empty capture.
  uint32_t linktype = itfs.empty() ? 1 : itfs[0].linktype;
  uint32_t snaplen = itfs.empty() ? 262144 : itfs[0].snaplen;
  if (reader_->format() == Format::kPcapng) linktype &= 0xffff;
  pcapLinktype_ = linktype;
  // libpcap's header for (link type, snaplen, precision) never changes: asked once a process.
  static std::mutex mutex;
  static std::map<std::tuple<uint32_t, uint32_t, bool>, std::vector<uint8_t>> headers;
  auto key = std::make_tuple(linktype, snaplen, outNano_);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = headers.find(key);
    if (it != headers.end()) {
      pcapHeader_ = it->second;
      return true;
    }
  }
  LinkContext ctx(linktype, snaplen, outNano_);
  std::string why;
  if (!ctx.ok() || !ctx.Header(&pcapHeader_, &why)) {
    error->code = "EINVAL";
    error->message = ctx.ok() ? why : ctx.error();
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (headers.size() < 4096) headers.emplace(key, pcapHeader_);
  return true;
}

bool PacketCopier::Begin(WriteError* error) {
  if (kind_ == CaptureWriter::Kind::kPcapng) {
    writer_->BeginPcapng(std::string());
    return EnsureInterfaces(error);
  }
  return writer_->BeginPcap(pcapHeader_, outNano_);
}

bool PacketCopier::EnsureInterfaces(WriteError* error) {
  const auto& itfs = reader_->interfaces();
  while (written_ < itfs.size()) {
    if (writer_->AddInterface(DescribeInterface(itfs[written_]), error) < 0) return false;
    written_++;
  }
  return true;
}

bool PacketCopier::Write(const PacketView& v, WriteError* error) {
  if (kind_ == CaptureWriter::Kind::kPcapng) {
    if (v.itf->global >= written_ && !EnsureInterfaces(error)) return false;
    return writer_->WriteEpb(v.itf->global, v.sec, v.nsec, v.caplen, v.len, v.data, v.flags,
                             v.comment, v.commentLen, error);
  }
  uint32_t linktype = reader_->format() == Format::kPcapng ? v.itf->linktype & 0xffff : v.itf->linktype;
  if (linktype != pcapLinktype_) {
    error->code = "EFORMAT";
    error->message = "the input has packets of several link types (" +
                     std::to_string(pcapLinktype_) + " and " + std::to_string(linktype) +
                     "); a pcap file holds one: write pcapng instead";
    return false;
  }
  if (reader_->format() == Format::kPcap) {
    // The stored time, scaled the way libpcap scales it between precisions (tcpdump's bytes).
    uint32_t frac = v.rawFrac;
    if (reader_->nano() && !outNano_) frac /= 1000;
    else if (!reader_->nano() && outNano_) frac *= 1000;
    if (!writer_->WritePcap(v.rawSec, frac, v.caplen, v.len, v.data)) {
      *error = writer_->failure();
      return false;
    }
    return true;
  }
  return writer_->WritePcapTime(v.sec, v.nsec, v.caplen, v.len, v.data, error);
}

}  // namespace engine
}  // namespace pcapkit
