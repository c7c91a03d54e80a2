#include "live_capture.h"

#include <arpa/inet.h>

#include <cstring>

#include "compiled_filter.h"
#include "error_codes.h"

namespace pcapkit {
namespace engine {

namespace {

// libpcap puts the useful text in pcap_geterr() for these statuses, and only a generic
// description in pcap_statustostr() for the others.
std::string ActivateMessage(pcap_t* p, int status) {
  switch (status) {
    case PCAP_ERROR:
    case PCAP_ERROR_NO_SUCH_DEVICE:
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
#ifdef PCAP_ERROR_CAPTURE_NOTSUP
    case PCAP_ERROR_CAPTURE_NOTSUP:
#endif
    case PCAP_WARNING:
    case PCAP_WARNING_PROMISC_NOTSUP: {
      const char* e = pcap_geterr(p);
      if (e != nullptr && e[0] != '\0') return e;
      return pcap_statustostr(status);
    }
    default:
      return pcap_statustostr(status);
  }
}

void Fail(LiveError* error, const char* code, const std::string& message, int status = 0) {
  error->code = code;
  error->message = message;
  error->status = status;
}

// pcap_create fails without a status: its message says why (out of memory, mostly).
PcapHandle Create(const std::string& device, LiveError* error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  PcapHandle p(pcap_create(device.c_str(), errbuf));
  if (p == nullptr) {
    const char* code = CodeForPcapMessage(errbuf);
    Fail(error, code != nullptr ? code : "ENODEV", errbuf);
  }
  return p;
}

}  // namespace

LiveCapture::~LiveCapture() { Stop(); }

bool LiveCapture::Open(const std::string& device, const LiveOptions& o, LiveError* error) {
  device_ = device;
  snaplen_ = o.snaplen;
  batchBytes_ = o.batchBytes;
  batchPackets_ = o.batchPackets;
  maxQueued_ = o.maxQueued;
  if (batchBytes_ < static_cast<size_t>(snaplen_) + 8) batchBytes_ = snaplen_ + 8;

  PcapHandle p = Create(device_, error);
  if (p == nullptr) return false;
  pcap_set_snaplen(p.get(), snaplen_);
  pcap_set_promisc(p.get(), o.promisc ? 1 : 0);
  pcap_set_timeout(p.get(), o.timeoutMs > 0 ? o.timeoutMs : 1);
  if (o.bufferSize > 0) pcap_set_buffer_size(p.get(), o.bufferSize);
  pcap_set_immediate_mode(p.get(), o.immediate ? 1 : 0);
  if (pcap_set_tstamp_precision(p.get(), o.nano ? PCAP_TSTAMP_PRECISION_NANO
                                                : PCAP_TSTAMP_PRECISION_MICRO) != 0) {
    warnings_.push_back("nanosecond timestamps are not supported here; using microseconds");
  }
  if (o.rfmon) {
    int can = pcap_can_set_rfmon(p.get());
    if (can == 1) {
      pcap_set_rfmon(p.get(), 1);
    } else if (can == 0) {
      Fail(error, "ENOTSUP", device_ + ": monitor mode is not supported on this device", can);
      return false;
    } else {
      Fail(error, CodeForPcapStatus(can), ActivateMessage(p.get(), can), can);
      return false;
    }
  }
  int rc = pcap_activate(p.get());
  if (rc < 0) {
    Fail(error, CodeForPcapStatus(rc), device_ + ": " + ActivateMessage(p.get(), rc), rc);
    return false;
  }
  if (rc > 0) warnings_.push_back(ActivateMessage(p.get(), rc));
  nano_ = pcap_get_tstamp_precision(p.get()) == PCAP_TSTAMP_PRECISION_NANO;

  if (o.linktype >= 0 && pcap_set_datalink(p.get(), o.linktype) != 0) {
    Fail(error, "EINVAL", device_ + ": " + pcap_geterr(p.get()));
    return false;
  }
  if (!o.direction.empty() && o.direction != "inout") {
    pcap_direction_t d = o.direction == "in" ? PCAP_D_IN : PCAP_D_OUT;
    if (pcap_setdirection(p.get(), d) != 0) {
      Fail(error, "ENOTSUP", device_ + ": " + pcap_geterr(p.get()));
      return false;
    }
  }
  linktype_ = pcap_datalink(p.get());
  snaplen_ = pcap_snapshot(p.get());
  pcap_ = std::move(p);
  return true;
}

bool LiveCapture::Network(uint32_t* net, uint32_t* mask) const {
  bpf_u_int32 n = 0, m = 0;
  char errbuf[PCAP_ERRBUF_SIZE];
  if (pcap_lookupnet(device_.c_str(), &n, &m, errbuf) != 0) return false;
  // pcap_lookupnet returns network byte order.
  *net = ntohl(n);
  *mask = ntohl(m);
  return true;
}

bool LiveCapture::SetFilter(const std::string& expr, LiveError* error) {
  if (pcap_ == nullptr) {
    Fail(error, "ECLOSED", "the capture is closed");
    return false;
  }
  // Checked on the owner's thread, against a dead handle, so a bad expression fails at once.
  CompiledFilter check;
  std::string why;
  if (!check.Compile(linktype_, snaplen_, expr, PCAP_NETMASK_UNKNOWN, &why)) {
    Fail(error, "EFILTER", why);
    return false;
  }
  if (!thread_.joinable()) {
    bpf_program prog{};
    if (pcap_compile(pcap_.get(), &prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(pcap_.get(), &prog) != 0) {
      Fail(error, "EFILTER", pcap_geterr(pcap_.get()));
      pcap_freecode(&prog);
      return false;
    }
    pcap_freecode(&prog);
    return true;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pendingFilter_ = expr;
    filterPending_ = true;
  }
  // The capture thread owns the handle; wake it so it applies the filter.
  pcap_breakloop(pcap_.get());
  cv_.notify_all();
  return true;
}

bool LiveCapture::Stats(pcap_stat* stats, LiveError* error) {
  std::lock_guard<std::mutex> lock(statsMutex_);
  if (pcap_ == nullptr) {
    Fail(error, "ECLOSED", "the capture is closed");
    return false;
  }
  if (pcap_stats(pcap_.get(), stats) != 0) {
    std::string msg = pcap_geterr(pcap_.get());
    const char* code = CodeForPcapMessage(msg);
    Fail(error, code != nullptr ? code : "EPCAP", msg);
    return false;
  }
  return true;
}

int LiveCapture::Inject(const uint8_t* frame, size_t length, LiveError* error) {
  if (pcap_ == nullptr) {
    Fail(error, "ECLOSED", "the capture is closed");
    return -1;
  }
  if (sendPcap_ == nullptr) {
    PcapHandle s = Create(device_, error);
    if (s == nullptr) return -1;
    // A send-only handle: tiny ring, and a filter that accepts nothing, so it costs nothing.
    pcap_set_snaplen(s.get(), 64);
    pcap_set_buffer_size(s.get(), 64 * 1024);
    pcap_set_timeout(s.get(), 1000);
    int rc = pcap_activate(s.get());
    if (rc < 0) {
      Fail(error, CodeForPcapStatus(rc), device_ + ": " + ActivateMessage(s.get(), rc), rc);
      return -1;
    }
    bpf_program none{};
    if (pcap_compile(s.get(), &none, "less 0", 1, PCAP_NETMASK_UNKNOWN) == 0) {
      pcap_setfilter(s.get(), &none);
      pcap_freecode(&none);
    }
    sendPcap_ = std::move(s);
  }
  int sent = pcap_inject(sendPcap_.get(), frame, length);
  if (sent < 0) {
    // pcap_inject reports no status: libpcap's message says what went wrong.
    std::string msg = pcap_geterr(sendPcap_.get());
    const char* code = CodeForPcapMessage(msg);
    Fail(error, code != nullptr ? code : "EPCAP", device_ + ": " + msg);
    return -1;
  }
  return sent;
}

void LiveCapture::Start(LiveSink* sink) {
  sink_ = sink;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LiveCapture::Ack(size_t n) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_ = queued_ >= n ? queued_ - n : 0;
  }
  cv_.notify_all();
}

void LiveCapture::BeginBatch() {
  const size_t hdrBytes = batchPackets_ * HDR_STRIDE * sizeof(double);
  blockSize_ = hdrBytes + batchBytes_;
  block_ = static_cast<uint8_t*>(pool_->Take(blockSize_));
  if (block_ == nullptr) {
    writer_ = BatchWriter{nullptr, 0, nullptr, 0};
    return;
  }
  writer_ = BatchWriter{block_ + hdrBytes, batchBytes_, reinterpret_cast<double*>(block_),
                        batchPackets_};
}

void LiveCapture::Deliver(bool force) {
  if (block_ == nullptr || (writer_.count == 0 && !force)) return;
  LiveBatch batch{block_, blockSize_, batchPackets_ * HDR_STRIDE * sizeof(double),
                  writer_.count};
  block_ = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_++;
  }
  if (!sink_->OnBatch(batch)) pool_->Give(batch.block, batch.blockSize);
}

void LiveCapture::OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* data) {
  auto* self = reinterpret_cast<LiveCapture*>(user);
  if (self->block_ == nullptr || !self->writer_.Fits(h->caplen)) {
    self->Deliver(false);
    // One dispatch can hold a whole kernel buffer: wait here for the consumer rather than
    // queue more than maxQueued batches. The ring keeps filling meanwhile, and its overflow
    // is counted in the kernel's drop statistics.
    self->WaitForRoom();
    if (self->stop_.load()) {
      pcap_breakloop(self->pcap_.get());
      return;
    }
    self->BeginBatch();
    if (self->block_ == nullptr) return;  // out of memory: the packet is lost
  }
  self->writer_.Add(h, data, self->linktype_, self->nano_ ? 1u : 1000u, false);
}

void LiveCapture::WaitForRoom() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return stop_.load() || queued_ < maxQueued_; });
}

void LiveCapture::Run() {
  pcap_t* p = pcap_.get();  // Stop() takes the handle only after joining this thread
  while (!stop_.load()) {
    std::string filter;
    bool applyFilter = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Backpressure: enough batches wait for the consumer; let the kernel ring hold the rest.
      cv_.wait(lock, [this] { return stop_.load() || queued_ < maxQueued_ || filterPending_; });
      if (filterPending_) {
        filter = pendingFilter_;
        filterPending_ = false;
        applyFilter = true;
      }
    }
    if (stop_.load()) break;
    if (applyFilter) {
      bpf_program prog{};
      if (pcap_compile(p, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
          pcap_setfilter(p, &prog) != 0) {
        sink_->OnError({"EFILTER", pcap_geterr(p), 0});
      }
      pcap_freecode(&prog);
      std::lock_guard<std::mutex> lock(mutex_);
      if (queued_ >= maxQueued_) continue;
    }
    int rc = pcap_dispatch(p, -1, &LiveCapture::OnPacket, reinterpret_cast<u_char*>(this));
    if (rc == PCAP_ERROR_BREAK) {
      Deliver(false);
      continue;
    }
    if (rc < 0) {
      Deliver(false);
      // pcap_dispatch reports no status beyond PCAP_ERROR: libpcap's message says what.
      std::string msg = pcap_geterr(p);
      const char* code = CodeForPcapMessage(msg);
      if (code == nullptr) code = "EPCAP";
      // The device was there when the capture started: if it is no more, it went away.
      if (std::strcmp(code, "ENODEV") == 0) code = "ENETDOWN";
      sink_->OnError({code, device_ + ": " + msg, 0});
      break;
    }
    // One dispatch is one kernel block (or, in immediate mode, what was ready): hand it on
    // now, so a quiet link still delivers within the packet buffer timeout.
    Deliver(false);
  }
  if (block_ != nullptr) {
    pool_->Give(block_, blockSize_);
    block_ = nullptr;
  }
}

LiveCapture::Handles LiveCapture::Stop() {
  Handles handles;
  if (stopped_) return handles;
  stopped_ = true;
  stop_ = true;
  if (pcap_ != nullptr) pcap_breakloop(pcap_.get());
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    handles.capture = std::move(pcap_);
  }
  handles.sender = std::move(sendPcap_);
  return handles;
}

}  // namespace engine
}  // namespace pcapkit
