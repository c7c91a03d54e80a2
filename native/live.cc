#include "live.h"

#include <memory>
#include <string>
#include <thread>

#include "addon.h"
#include "arena.h"
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

void Throw(Napi::Env env, const engine::LiveError& e) {
  ThrowPcapError(env, e.code, e.message, e.status);
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
LiveHandle::LiveHandle(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<LiveHandle>(info), capture_(GetAddon(info.Env())->arenas) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
    ThrowPcapError(env, "EINVAL", "LiveHandle(device, options)");
    return;
  }
  Napi::Object o = info[1].As<Napi::Object>();
  engine::LiveOptions options;
  options.snaplen = IntOption(o, "snaplen", 262144);
  options.promisc = BoolOption(o, "promisc", true);
  options.timeoutMs = IntOption(o, "timeout", 1000);
  options.bufferSize = IntOption(o, "bufferSize", 0);
  options.immediate = BoolOption(o, "immediate", false);
  options.nano = StringOption(o, "precision") != "micro";
  options.rfmon = BoolOption(o, "rfmon", false);
  options.direction = StringOption(o, "direction");
  options.linktype = IntOption(o, "linktype", -1);
  options.batchBytes = static_cast<size_t>(IntOption(o, "batchBytes", 1 << 20));
  options.batchPackets = static_cast<size_t>(IntOption(o, "batchPackets", 4096));
  options.maxQueued = static_cast<size_t>(IntOption(o, "maxQueued", 8));
  engine::LiveError error;
  if (!capture_.Open(info[0].As<Napi::String>().Utf8Value(), options, &error)) Throw(env, error);
}

LiveHandle::~LiveHandle() { Shutdown(); }

Napi::Value LiveHandle::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("linktype", capture_.linktype());
  o.Set("snaplen", capture_.snaplen());
  o.Set("precision", capture_.nano() ? "nano" : "micro");
  Napi::Array w = Napi::Array::New(env);
  const std::vector<std::string>& warnings = capture_.warnings();
  for (size_t i = 0; i < warnings.size(); i++) w.Set(static_cast<uint32_t>(i), warnings[i]);
  o.Set("warnings", w);
  uint32_t net = 0, mask = 0;
  if (capture_.Network(&net, &mask)) {
    o.Set("network", static_cast<double>(net));
    o.Set("netmask", static_cast<double>(mask));
  }
  return o;
}

Napi::Value LiveHandle::SetFilter(const Napi::CallbackInfo& info) {
  std::string expr = info.Length() > 0 && info[0].IsString()
                         ? info[0].As<Napi::String>().Utf8Value()
                         : std::string();
  engine::LiveError error;
  if (!capture_.SetFilter(expr, &error)) Throw(info.Env(), error);
  return info.Env().Undefined();
}

Napi::Value LiveHandle::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pcap_stat st{};
  engine::LiveError error;
  if (!capture_.Stats(&st, &error)) {
    Throw(env, error);
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
  capture_.Ack(n);
  return info.Env().Undefined();
}

// inject(buf) -> bytes sent
Napi::Value LiveHandle::Inject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (capture_.closed()) {
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
  engine::LiveError error;
  int sent = capture_.Inject(buf.Data(), buf.ByteLength(), &error);
  if (sent < 0) {
    Throw(env, error);
    return env.Undefined();
  }
  return Napi::Number::New(env, sent);
}

// start(onBatch(arrayBuffer | null, countOrError, hdrBytes))
Napi::Value LiveHandle::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (capture_.closed()) {
    ThrowPcapError(env, "ECLOSED", "the capture is closed");
    return env.Undefined();
  }
  if (capture_.running()) {
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
  capture_.Start(this);
  return env.Undefined();
}

bool LiveHandle::OnBatch(const engine::LiveBatch& batch) {
  auto* d = new Delivery();
  d->block = batch.block;
  d->blockSize = batch.blockSize;
  d->hdrBytes = batch.hdrBytes;
  d->count = batch.count;
  d->pool = capture_.pool();
  if (tsfn_.NonBlockingCall(d, CallJs) != napi_ok) {
    delete d;
    return false;
  }
  return true;
}

void LiveHandle::OnError(const engine::LiveError& error) {
  auto* d = new Delivery();
  d->errorCode = error.code;
  d->errorMessage = error.message;
  d->pool = capture_.pool();
  if (tsfn_.NonBlockingCall(d, CallJs) != napi_ok) delete d;
}

void LiveHandle::CleanupHook(void* arg) {
  auto* self = static_cast<LiveHandle*>(arg);
  self->cleanupEnv_ = nullptr;  // the hook is being run: do not remove it
  self->Shutdown();
}

engine::LiveCapture::Handles LiveHandle::Stop() {
  engine::LiveCapture::Handles handles = capture_.Stop();  // the capture thread is joined
  if (tsfnActive_) {
    tsfn_.Release();
    tsfnActive_ = false;
  }
  if (cleanupEnv_ != nullptr) {
    napi_remove_env_cleanup_hook(static_cast<napi_env>(cleanupEnv_), &LiveHandle::CleanupHook,
                                 this);
    cleanupEnv_ = nullptr;
  }
  return handles;
}

// Teardown paths (finalizer, environment cleanup): nothing waits for the handles, so they are
// closed on a thread of their own. Releasing a packet socket makes the kernel wait for a grace
// period (~20 ms); nothing else uses the handles any more (the capture thread has been joined).
void LiveHandle::Shutdown() {
  engine::LiveCapture::Handles handles = Stop();
  if (handles.capture != nullptr || handles.sender != nullptr) {
    std::thread([h = std::move(handles)]() mutable { h = {}; }).detach();
  }
}

namespace {

// close(): the handles are closed on a libuv pool thread (the kernel's grace period must not
// hold the event loop), and the promise resolves once the descriptors are gone.
class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, engine::LiveCapture::Handles handles)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)),
        handles_(std::move(handles)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { handles_ = {}; }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  Napi::Promise::Deferred deferred_;
  engine::LiveCapture::Handles handles_;
};

}  // namespace

Napi::Value LiveHandle::Close(const Napi::CallbackInfo& info) {
  auto* worker = new CloseWorker(info.Env(), Stop());
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
