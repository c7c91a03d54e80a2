#include "merge.h"

#include <queue>

#include "file_copy.h"
#include "link_context.h"

namespace pcapkit {
namespace engine {

namespace {
constexpr size_t kWindowBytes = 256 * 1024;
constexpr size_t kWindowPackets = 1024;
}  // namespace

bool Merger::Open(ReadError* error, size_t* input) {
  bool allPcap = true, anyNano = false;
  int64_t linktype = -1;
  bool oneLinktype = true;
  inputs_.resize(sources_.size());
  for (size_t i = 0; i < sources_.size(); i++) {
    Input& in = inputs_[i];
    in.reader = std::make_unique<CaptureReader>(sources_[i].get());
    CaptureReader::Status s = in.reader->Open(true, error);
    if (s != CaptureReader::kMore) {
      if (s == CaptureReader::kInterrupted) *error = {"ECLOSED", "cancelled", 0, 0};
      *input = i;
      return false;
    }
    in.arena.resize(kWindowBytes);
    if (in.reader->format() != Format::kPcap) allPcap = false;
    anyNano = anyNano || in.reader->nano();
    for (const Interface& itf : in.reader->interfaces()) {
      uint32_t lt = itf.linktype & 0xffff;
      if (linktype < 0) linktype = lt;
      else if (lt != linktype) oneLinktype = false;
    }
  }
  std::string format = options_.format;
  if (format.empty()) format = allPcap && oneLinktype ? "pcap" : "pcapng";
  kind_ = format == "pcapng" ? CaptureWriter::Kind::kPcapng : CaptureWriter::Kind::kPcap;
  outNano_ = options_.precision.empty() ? anyNano : options_.precision == "nano";
  pcapLinktype_ = linktype < 0 ? 1 : static_cast<uint32_t>(linktype);
  return true;
}

bool Merger::Refill(size_t i, ReadError* error, bool* failed) {
  Input& in = inputs_[i];
  while (in.next >= in.views.size()) {
    if (in.eof) return false;
    in.views.clear();
    in.iface.clear();
    in.next = 0;
    FillResult r;
    CaptureReader::Status s = in.reader->Fill(
        in.arena.data(), in.arena.size(), kWindowPackets,
        [&](const PacketView& v) {
          in.views.push_back(v);
          in.views.back().itf = nullptr;
          in.iface.push_back(v.itf->global);
          return true;  // kept in place until the window is written
        },
        &r, error);
    read_ += r.read;
    if (r.needBytes) {
      in.arena.resize(r.needBytes + 4096);
      continue;
    }
    if (s == CaptureReader::kError) {
      *failed = true;
      in.eof = true;
      return !in.views.empty();  // its whole packets first; the error after them
    }
    if (s != CaptureReader::kMore) in.eof = true;
  }
  return true;
}

bool Merger::Write(size_t i, const PacketView& packet, CaptureWriter* w, WriteError* e) {
  Input& in = inputs_[i];
  PacketView v = packet;
  v.itf = &in.reader->interfaces()[in.iface[in.next]];
  if (kind_ == CaptureWriter::Kind::kPcapng) {
    // Each input's interfaces become output interfaces when first used.
    const auto& itfs = in.reader->interfaces();
    if (in.outIfaces.size() < itfs.size()) in.outIfaces.resize(itfs.size(), -1);
    int64_t& out = in.outIfaces[v.itf->global];
    if (out < 0) {
      out = w->AddInterface(DescribeInterface(*v.itf), e);
      if (out < 0) return false;
    }
    return w->WriteEpb(static_cast<uint32_t>(out), v.sec, v.nsec, v.caplen, v.len, v.data, v.flags,
                       v.comment, v.commentLen, e);
  }
  uint32_t lt = in.reader->format() == Format::kPcapng ? v.itf->linktype & 0xffff : v.itf->linktype;
  if (lt != pcapLinktype_) {
    e->code = "EFORMAT";
    e->message = paths_[i] + ": packets of another link type (" + std::to_string(lt) + ", not " +
                 std::to_string(pcapLinktype_) + "); a pcap file holds one: merge to pcapng";
    return false;
  }
  return w->WritePcapTime(v.sec, v.nsec, v.caplen, v.len, v.data, e);
}

bool Merger::Run(CaptureWriter* writer, const std::atomic<bool>& cancel, ReadError* error,
                 size_t* input, WriteError* werror) {
  if (kind_ == CaptureWriter::Kind::kPcapng) {
    writer->BeginPcapng(std::string());
    // The interfaces known now, in input order (as mergecap numbers them); one met later in a
    // file gets the next number when its first packet is written.
    for (Input& in : inputs_) {
      const auto& itfs = in.reader->interfaces();
      in.outIfaces.assign(itfs.size(), -1);
      for (size_t k = 0; k < itfs.size(); k++) {
        in.outIfaces[k] = writer->AddInterface(DescribeInterface(itfs[k]), werror);
        if (in.outIfaces[k] < 0) return false;
      }
    }
  } else {
    uint32_t snaplen = 0;
    for (auto& in : inputs_) {
      for (const Interface& itf : in.reader->interfaces()) snaplen = itf.snaplen > snaplen ? itf.snaplen : snaplen;
    }
    LinkContext ctx(pcapLinktype_, snaplen ? snaplen : 262144, outNano_);
    std::vector<uint8_t> header;
    std::string why;
    if (!ctx.ok() || !ctx.Header(&header, &why)) {
      *werror = {"EINVAL", ctx.ok() ? why : ctx.error(), 0};
      return false;
    }
    writer->BeginPcap(header, outNano_);
  }
  // The merge order: by time; on equal times the later input first, as mergecap does (its
  // "is earlier" test is "earlier or equal", met while scanning the inputs in order).
  struct Head {
    int64_t sec;
    uint32_t nsec;
    size_t input;
    bool operator>(const Head& o) const {
      if (sec != o.sec) return sec > o.sec;
      if (nsec != o.nsec) return nsec > o.nsec;
      return input < o.input;
    }
  };
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap;
  std::vector<bool> failed(inputs_.size(), false);
  auto push = [&](size_t i) {
    bool f = false;
    ReadError e;
    if (Refill(i, &e, &f)) {
      const PacketView& v = inputs_[i].views[inputs_[i].next];
      heap.push({v.sec, v.nsec, i});
    }
    if (f && !failed[i]) {
      failed[i] = true;
      if (error->code.empty()) {
        *error = e;
        *input = i;
      }
    }
  };
  if (options_.append) {
    for (size_t i = 0; i < inputs_.size(); i++) {
      for (;;) {
        if (cancel.load(std::memory_order_relaxed)) {
          cancelled_ = true;
          return true;
        }
        bool f = false;
        ReadError e;
        if (!Refill(i, &e, &f)) {
          if (f) {
            *error = e;
            *input = i;
            return false;
          }
          break;
        }
        Input& in = inputs_[i];
        for (; in.next < in.views.size(); in.next++) {
          if (!Write(i, in.views[in.next], writer, werror)) return false;
        }
        if (f) {
          *error = e;
          *input = i;
          return false;
        }
      }
    }
    return true;
  }
  for (size_t i = 0; i < inputs_.size(); i++) push(i);
  for (size_t i = 0; i < inputs_.size(); i++) {
    if (failed[i] && inputs_[i].next >= inputs_[i].views.size()) return false;  // damaged before any packet
  }
  uint64_t n = 0;
  while (!heap.empty()) {
    if ((++n & 1023) == 0 && cancel.load(std::memory_order_relaxed)) {
      cancelled_ = true;
      return true;
    }
    Head h = heap.top();
    heap.pop();
    Input& in = inputs_[h.input];
    if (!Write(h.input, in.views[in.next], writer, werror)) return false;
    in.next++;
    // A damaged input stops the merge once its whole packets are out (nothing silently lost).
    if (in.next >= in.views.size() && failed[h.input]) return false;
    push(h.input);
    if (failed[h.input] && inputs_[h.input].next >= inputs_[h.input].views.size()) return false;
  }
  return error->code.empty();
}

int64_t Merger::bytesRead() const {
  int64_t total = 0;
  for (const auto& in : inputs_) {
    if (in.reader) total += in.reader->offset();
  }
  return total;
}

}  // namespace engine
}  // namespace pcapkit
