#include "live.h"

#include <chrono>
#include <cstring>

#include "addon.h"
#include "bpf.h"
#include "errors.h"

namespace pcapkit {

struct LiveHandle::Delivery {
  void* block = nullptr;
  size_t blockSize = 0;
  size_t hdrBytes = 0;
  size_t count = 0;
  std::shared_ptr<ArenaPool> pool;
  std::string errorCode;
  std::string errorMessage;
};

namespace {

int IntOption(Napi::Object o, const char* key, int dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : dflt;
}

bool BoolOption(Napi::Object o, const char* key, bool dflt) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt;
}

std::string StringOption(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

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

void CallJs(Napi::Env env, Napi::Function fn, LiveHandle::Delivery* d) {
  std::unique_ptr<LiveHandle::Delivery> owned(d);
  if (env == nullptr || fn.IsEmpty()) {
    if (d->block) d->pool->Give(d->block, d->blockSize);
    return;
  }
  if (!d->errorCode.empty()) {
    Napi::Error err = MakePcapError(env, d->errorCode, d->errorMessage);
    fn.Call({env.Null(), err.Value()});
    return;
  }
  Napi::ArrayBuffer ab = WrapBlock(env, d->pool, d->block, d->blockSize);
  if (ab.IsEmpty()) {  // the environment is going away (worker terminated): nobody to deliver to
    d->pool->Give(d->block, d->blockSize);
    return;
  }
  fn.Call({ab, Napi::Number::New(env, static_cast<double>(d->count)),
           Napi::Number::New(env, static_cast<double>(d->hdrBytes))});
}

}  // namespace

Napi::Function LiveHandle::Init(Napi::Env env) {
  return DefineClass(env, "LiveHandle",
                     {InstanceMethod("start", &LiveHandle::Start),
                      InstanceMethod("info", &LiveHandle::Info),
                      InstanceMethod("setFilter", &LiveHandle::SetFilter),
                      InstanceMethod("stats", &LiveHandle::Stats),
                      InstanceMethod("ack", &LiveHandle::Ack),
                      InstanceMethod("inject", &LiveHandle::Inject),
                      InstanceMethod("ref", &LiveHandle::Ref),
                      InstanceMethod("unref", &LiveHandle::Unref),
                      InstanceMethod("close", &LiveHandle::Close)});
}

// new LiveHandle(device, { snaplen, promisc, timeout, bufferSize, immediate, precision,
//                          rfmon, direction, linktype, batchBytes, batchPackets, maxQueued })
LiveHandle::LiveHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LiveHandle>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
    ThrowPcapError(env, "EINVAL", "LiveHandle(device, options)");
    return;
  }
  device_ = info[0].As<Napi::String>().Utf8Value();
  Napi::Object o = info[1].As<Napi::Object>();
  pool_ = GetAddon(env)->arenas;
  snaplen_ = IntOption(o, "snaplen", 262144);
  timeoutMs_ = IntOption(o, "timeout", 1000);
  immediate_ = BoolOption(o, "immediate", false);
  batchBytes_ = static_cast<size_t>(IntOption(o, "batchBytes", 1 << 20));
  batchPackets_ = static_cast<size_t>(IntOption(o, "batchPackets", 4096));
  maxQueued_ = static_cast<size_t>(IntOption(o, "maxQueued", 8));
  if (batchBytes_ < static_cast<size_t>(snaplen_) + 8) batchBytes_ = snaplen_ + 8;

  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_ = pcap_create(device_.c_str(), errbuf);
  if (pcap_ == nullptr) {
    const char* code = CodeForPcapMessage(errbuf);  // "malloc: Cannot allocate memory": ENOMEM
    ThrowPcapError(env, code != nullptr ? code : "ENODEV", errbuf);
    return;
  }
  pcap_set_snaplen(pcap_, snaplen_);
  pcap_set_promisc(pcap_, BoolOption(o, "promisc", true) ? 1 : 0);
  pcap_set_timeout(pcap_, timeoutMs_ > 0 ? timeoutMs_ : 1);
  int bufferSize = IntOption(o, "bufferSize", 0);
  if (bufferSize > 0) pcap_set_buffer_size(pcap_, bufferSize);
  pcap_set_immediate_mode(pcap_, immediate_ ? 1 : 0);
  bool wantNano = StringOption(o, "precision") != "micro";
  if (pcap_set_tstamp_precision(pcap_, wantNano ? PCAP_TSTAMP_PRECISION_NANO
                                                : PCAP_TSTAMP_PRECISION_MICRO) != 0) {
    warnings_.push_back("nanosecond timestamps are not supported here; using microseconds");
  }
  if (BoolOption(o, "rfmon", false)) {
    int can = pcap_can_set_rfmon(pcap_);
    if (can == 1) {
      pcap_set_rfmon(pcap_, 1);
    } else {
      std::string msg = can == 0 ? device_ + ": monitor mode is not supported on this device"
                                 : ActivateMessage(pcap_, can);
      pcap_close(pcap_);
      pcap_ = nullptr;
      ThrowPcapError(env, can == 0 ? "ENOTSUP" : CodeForPcapStatus(can), msg, can);
      return;
    }
  }
  int rc = pcap_activate(pcap_);
  if (rc < 0) {
    std::string msg = ActivateMessage(pcap_, rc);
    pcap_close(pcap_);
    pcap_ = nullptr;
    ThrowPcapError(env, CodeForPcapStatus(rc), device_ + ": " + msg, rc);
    return;
  }
  if (rc > 0) warnings_.push_back(ActivateMessage(pcap_, rc));
  nano_ = pcap_get_tstamp_precision(pcap_) == PCAP_TSTAMP_PRECISION_NANO;

  int linktype = IntOption(o, "linktype", -1);
  if (linktype >= 0 && pcap_set_datalink(pcap_, linktype) != 0) {
    std::string msg = pcap_geterr(pcap_);
    pcap_close(pcap_);
    pcap_ = nullptr;
    ThrowPcapError(env, "EINVAL", device_ + ": " + msg);
    return;
  }
  std::string direction = StringOption(o, "direction");
  if (!direction.empty() && direction != "inout") {
    pcap_direction_t d = direction == "in" ? PCAP_D_IN : PCAP_D_OUT;
    if (pcap_setdirection(pcap_, d) != 0) {
      std::string msg = pcap_geterr(pcap_);
      pcap_close(pcap_);
      pcap_ = nullptr;
      ThrowPcapError(env, "ENOTSUP", device_ + ": " + msg);
      return;
    }
  }
  linktype_ = pcap_datalink(pcap_);
  snaplen_ = pcap_snapshot(pcap_);
}

LiveHandle::~LiveHandle() { Shutdown(); }

Napi::Value LiveHandle::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("linktype", linktype_);
  o.Set("snaplen", snaplen_);
  o.Set("precision", nano_ ? "nano" : "micro");
  Napi::Array w = Napi::Array::New(env);
  for (size_t i = 0; i < warnings_.size(); i++) w.Set(static_cast<uint32_t>(i), warnings_[i]);
  o.Set("warnings", w);
  bpf_u_int32 net = 0, mask = 0;
  char errbuf[PCAP_ERRBUF_SIZE];
  if (pcap_lookupnet(device_.c_str(), &net, &mask, errbuf) == 0) {
    // pcap_lookupnet returns network byte order.
    o.Set("network", static_cast<double>(ntohl(net)));
    o.Set("netmask", static_cast<double>(ntohl(mask)));
  }
  return o;
}

Napi::Value LiveHandle::SetFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (pcap_ == nullptr) {
    ThrowPcapError(env, "ECLOSED", "the capture is closed");
    return env.Undefined();
  }
  std::string expr = info.Length() > 0 && info[0].IsString()
                         ? info[0].As<Napi::String>().Utf8Value()
                         : std::string();
  // Validate here, on the JS thread, so a bad expression fails at once.
  CompiledFilter check;
  std::string error;
  if (!check.Compile(linktype_, snaplen_, expr, PCAP_NETMASK_UNKNOWN, &error)) {
    ThrowPcapError(env, "EFILTER", error);
    return env.Undefined();
  }
  if (!thread_.joinable()) {
    bpf_program prog{};
    if (pcap_compile(pcap_, &prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(pcap_, &prog) != 0) {
      std::string msg = pcap_geterr(pcap_);
      pcap_freecode(&prog);
      ThrowPcapError(env, "EFILTER", msg);
      return env.Undefined();
    }
    pcap_freecode(&prog);
    return env.Undefined();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pendingFilter_ = expr;
    filterPending_ = true;
  }
  // The capture thread owns the handle; wake it so it applies the filter.
  pcap_breakloop(pcap_);
  cv_.notify_all();
  return env.Undefined();
}

Napi::Value LiveHandle::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lock(statsMutex_);
  if (pcap_ == nullptr) {
    ThrowPcapError(env, "ECLOSED", "the capture is closed");
    return env.Undefined();
  }
  pcap_stat st{};
  if (pcap_stats(pcap_, &st) != 0) {
    std::string msg = pcap_geterr(pcap_);
    const char* code = CodeForPcapMessage(msg);
    ThrowPcapError(env, code != nullptr ? code : "EPCAP", msg);
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("received", static_cast<double>(st.ps_recv));
  o.Set("dropped", static_cast<double>(st.ps_drop));
  o.Set("ifDropped", static_cast<double>(st.ps_ifdrop));
  return o;
}

Napi::Value LiveHandle::Ack(const Napi::CallbackInfo& info) {
  size_t n = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_ = queued_ >= n ? queued_ - n : 0;
  }
  cv_.notify_all();
  return info.Env().Undefined();
}

// inject(buf) -> bytes sent
Napi::Value LiveHandle::Inject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (pcap_ == nullptr) {
    ThrowPcapError(env, "ECLOSED", "the capture is closed");
    return env.Undefined();
  }
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    ThrowPcapError(env, "EINVAL", "send(buffer)");
    return env.Undefined();
  }
  Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
  if (buf.ByteLength() == 0) {
    ThrowPcapError(env, "EINVAL", "send: the frame is empty");
    return env.Undefined();
  }
  if (sendPcap_ == nullptr) {
    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    pcap_t* s = pcap_create(device_.c_str(), errbuf);
    if (s == nullptr) {
      const char* code = CodeForPcapMessage(errbuf);
      ThrowPcapError(env, code != nullptr ? code : "ENODEV", errbuf);
      return env.Undefined();
    }
    // A send-only handle: tiny ring, and a filter that accepts nothing, so it costs nothing.
    pcap_set_snaplen(s, 64);
    pcap_set_buffer_size(s, 64 * 1024);
    pcap_set_timeout(s, 1000);
    int rc = pcap_activate(s);
    if (rc < 0) {
      std::string msg = ActivateMessage(s, rc);
      pcap_close(s);
      ThrowPcapError(env, CodeForPcapStatus(rc), device_ + ": " + msg, rc);
      return env.Undefined();
    }
    bpf_program none{};
    if (pcap_compile(s, &none, "less 0", 1, PCAP_NETMASK_UNKNOWN) == 0) {
      pcap_setfilter(s, &none);
      pcap_freecode(&none);
    }
    sendPcap_ = s;
  }
  int sent = pcap_inject(sendPcap_, buf.Data(), buf.ByteLength());
  if (sent < 0) {
    // pcap_inject reports no status: libpcap's message says what went wrong.
    std::string msg = pcap_geterr(sendPcap_);
    const char* code = CodeForPcapMessage(msg);
    ThrowPcapError(env, code != nullptr ? code : "EPCAP", device_ + ": " + msg);
    return env.Undefined();
  }
  return Napi::Number::New(env, sent);
}

// start(onBatch(arrayBuffer | null, countOrError, hdrBytes))
Napi::Value LiveHandle::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (pcap_ == nullptr) {
    ThrowPcapError(env, "ECLOSED", "the capture is closed");
    return env.Undefined();
  }
  if (thread_.joinable()) {
    ThrowPcapError(env, "EINVAL", "the capture is already started");
    return env.Undefined();
  }
  if (info.Length() < 1 || !info[0].IsFunction()) {
    ThrowPcapError(env, "EINVAL", "start(onBatch)");
    return env.Undefined();
  }
  tsfn_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "pcapkit.capture", 0, 1);
  tsfnActive_ = true;
  if (unrefRequested_) tsfn_.Unref(env);
  napi_add_env_cleanup_hook(env, &LiveHandle::CleanupHook, this);
  cleanupEnv_ = env;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return env.Undefined();
}

void LiveHandle::CleanupHook(void* arg) {
  auto* self = static_cast<LiveHandle*>(arg);
  self->cleanupEnv_ = nullptr;  // the hook is being run: do not remove it
  self->Shutdown();
}

void LiveHandle::BeginBatch() {
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

void LiveHandle::Deliver(bool force) {
  if (block_ == nullptr || (writer_.count == 0 && !force)) return;
  auto* d = new Delivery();
  d->block = block_;
  d->blockSize = blockSize_;
  d->hdrBytes = batchPackets_ * HDR_STRIDE * sizeof(double);
  d->count = writer_.count;
  d->pool = pool_;
  block_ = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_++;
  }
  if (tsfn_.NonBlockingCall(d, CallJs) != napi_ok) {
    pool_->Give(d->block, d->blockSize);
    delete d;
  }
}

void LiveHandle::DeliverError(const std::string& code, const std::string& message) {
  auto* d = new Delivery();
  d->errorCode = code;
  d->errorMessage = message;
  d->pool = pool_;
  if (tsfn_.NonBlockingCall(d, CallJs) != napi_ok) delete d;
}

void LiveHandle::OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* data) {
  auto* self = reinterpret_cast<LiveHandle*>(user);
  if (self->block_ == nullptr || !self->writer_.Fits(h->caplen)) {
    self->Deliver(false);
    // One dispatch can hold a whole kernel buffer: wait here for JS rather than queue more
    // than maxQueued batches. The ring keeps filling meanwhile, and its overflow is counted
    // in the kernel's drop statistics.
    self->WaitForRoom();
    if (self->stop_.load()) {
      pcap_breakloop(self->pcap_);
      return;
    }
    self->BeginBatch();
    if (self->block_ == nullptr) return;  // out of memory: the packet is lost
  }
  self->writer_.Add(h, data, self->linktype_, self->nano_ ? 1u : 1000u, false);
}

void LiveHandle::WaitForRoom() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return stop_.load() || queued_ < maxQueued_; });
}

void LiveHandle::Run() {
  while (!stop_.load()) {
    std::string filter;
    bool applyFilter = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Backpressure: JS has enough batches waiting; let the kernel ring hold the rest.
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
      if (pcap_compile(pcap_, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
          pcap_setfilter(pcap_, &prog) != 0) {
        DeliverError("EFILTER", pcap_geterr(pcap_));
      }
      pcap_freecode(&prog);
      std::lock_guard<std::mutex> lock(mutex_);
      if (queued_ >= maxQueued_) continue;
    }
    int rc = pcap_dispatch(pcap_, -1, &LiveHandle::OnPacket, reinterpret_cast<u_char*>(this));
    if (rc == PCAP_ERROR_BREAK) {
      Deliver(false);
      continue;
    }
    if (rc < 0) {
      Deliver(false);
      std::string msg = pcap_geterr(pcap_);
      const char* code = CodeForPcapMessage(msg);
      if (code == nullptr) code = "EPCAP";
      // The device was there when the capture started: if it is no more, it went away.
      if (std::strcmp(code, "ENODEV") == 0) code = "ENETDOWN";
      DeliverError(code, device_ + ": " + msg);
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

void LiveHandle::Stop(pcap_t** capture, pcap_t** sender) {
  *capture = nullptr;
  *sender = nullptr;
  if (closed_) return;
  closed_ = true;
  stop_ = true;
  if (pcap_ != nullptr) pcap_breakloop(pcap_);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (tsfnActive_) {
    tsfn_.Release();
    tsfnActive_ = false;
  }
  if (cleanupEnv_ != nullptr) {
    napi_remove_env_cleanup_hook(static_cast<napi_env>(cleanupEnv_), &LiveHandle::CleanupHook,
                                 this);
    cleanupEnv_ = nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    *capture = pcap_;
    pcap_ = nullptr;
  }
  *sender = sendPcap_;
  sendPcap_ = nullptr;
}

namespace {

void CloseHandles(pcap_t* capture, pcap_t* sender) {
  if (capture != nullptr) pcap_close(capture);
  if (sender != nullptr) pcap_close(sender);
}

}  // namespace

// Teardown paths (finalizer, environment cleanup): nothing waits for the handles, so they are
// closed on a thread of their own. Releasing a packet socket makes the kernel wait for a grace
// period (~20 ms); nothing else uses the handles any more (the capture thread has been joined).
void LiveHandle::Shutdown() {
  pcap_t* capture;
  pcap_t* sender;
  Stop(&capture, &sender);
  if (capture != nullptr || sender != nullptr) {
    std::thread(CloseHandles, capture, sender).detach();
  }
}

namespace {

// close(): pcap_close on a libuv pool thread (the kernel's grace period must not hold the event
// loop), and the promise resolves once the descriptors are gone.
class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, pcap_t* capture, pcap_t* sender)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), capture_(capture),
        sender_(sender) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { CloseHandles(capture_, sender_); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  Napi::Promise::Deferred deferred_;
  pcap_t* capture_;
  pcap_t* sender_;
};

}  // namespace

Napi::Value LiveHandle::Close(const Napi::CallbackInfo& info) {
  pcap_t* capture;
  pcap_t* sender;
  Stop(&capture, &sender);
  auto* worker = new CloseWorker(info.Env(), capture, sender);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value LiveHandle::Ref(const Napi::CallbackInfo& info) {
  unrefRequested_ = false;
  if (tsfnActive_) tsfn_.Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value LiveHandle::Unref(const Napi::CallbackInfo& info) {
  unrefRequested_ = true;
  if (tsfnActive_) tsfn_.Unref(info.Env());
  return info.Env().Undefined();
}

}  // namespace pcapkit
