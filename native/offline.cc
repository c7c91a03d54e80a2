#include "offline.h"

#include <string>

#include "addon.h"
#include "batch.h"
#include "errors.h"
#include "promise_worker.h"
#include "engine/link_context.h"

namespace pcapkit {

namespace {

std::string FormatCount(double n) { return std::to_string(static_cast<long long>(n)); }

const char* FormatName(engine::Format f) {
  switch (f) {
    case engine::Format::kPcap: return "pcap";
    case engine::Format::kPcapng: return "pcapng";
    default: return "unknown";
  }
}

Napi::Object InterfaceObject(Napi::Env env, const engine::Interface& itf) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", itf.global);
  o.Set("section", itf.section);
  o.Set("sectionIndex", itf.index);
  o.Set("linktype", itf.dlt);
  o.Set("fileLinktype", static_cast<double>(itf.linktype));
  o.Set("snaplen", static_cast<double>(itf.snaplen));
  if (!itf.name.empty()) o.Set("name", itf.name);
  if (!itf.description.empty()) o.Set("description", itf.description);
  o.Set("tsresol", itf.tsresol);
  o.Set("tsoffset", static_cast<double>(itf.tsoffset));
  return o;
}

}  // namespace

Napi::Function OfflineHandle::Init(Napi::Env env) {
  return DefineClass(env, "OfflineHandle",
                     {InstanceMethod("isRegular", &OfflineHandle::IsRegular),
                      InstanceMethod("openSync", &OfflineHandle::OpenSync),
                      InstanceMethod("open", &OfflineHandle::Open),
                      InstanceMethod("info", &OfflineHandle::Info),
                      InstanceMethod("interfaces", &OfflineHandle::Interfaces),
                      InstanceMethod("setFilter", &OfflineHandle::SetFilter),
                      InstanceMethod("setPrecision", &OfflineHandle::SetPrecision),
                      InstanceMethod("read", &OfflineHandle::Read),
                      InstanceMethod("offset", &OfflineHandle::Offset),
                      InstanceMethod("close", &OfflineHandle::Close)});
}

// new OfflineHandle(path): opens the descriptor (never blocks: a FIFO is opened without
// waiting for its writer); the header is read by openSync() or open().
OfflineHandle::OfflineHandle(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<OfflineHandle>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowPcapError(env, "EINVAL", "OfflineHandle(path)");
    return;
  }
  path_ = info[0].As<Napi::String>().Utf8Value();
  source_ = std::make_unique<engine::ByteSource>();
  engine::SourceError se;
  if (!source_->Open(path_, &se)) {
    ThrowPcapError(env, CodeForErrno(se.err), se.message);
    source_.reset();
    return;
  }
  reader_ = std::make_unique<engine::CaptureReader>(source_.get());
}

OfflineHandle::~OfflineHandle() { CloseNow(); }

void OfflineHandle::CloseNow() {
  closed_ = true;
  reader_.reset();
  source_.reset();
  filter_.Clear();
  std::lock_guard<std::mutex> lock(pendingMutex_);
  pendingFilter_.reset();
}

Napi::Value OfflineHandle::IsRegular(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), source_ && source_->regular());
}

Napi::Error OfflineHandle::OpenError(Napi::Env env, const engine::ReadError& e) {
  Napi::Error err = MakePcapError(env, e.code, path_ + ": " + e.message);
  err.Set("packetsRead", Napi::Number::New(env, 0));
  err.Set("offset", Napi::Number::New(env, 0));
  return err;
}

Napi::Object OfflineHandle::InfoObject(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  const engine::CaptureReader* r = reader_.get();
  o.Set("format", FormatName(r ? r->format() : engine::Format::kUnknown));
  o.Set("linktype", r ? r->dlt() : -1);
  o.Set("snaplen", static_cast<double>(r ? r->snapshot() : 0));
  o.Set("nano", Napi::Boolean::New(env, r && r->nano()));
  o.Set("fileSize", static_cast<double>(source_ ? source_->size() : -1));
  if (r && r->format() == engine::Format::kPcap) {
    o.Set("magic", static_cast<double>(r->magic()));
    o.Set("swapped", Napi::Boolean::New(env, r->swapped()));
    o.Set("versionMajor", r->versionMajor());
    o.Set("versionMinor", r->versionMinor());
  }
  o.Set("packetsRead", packetsRead_);
  o.Set("packetsPassed", packetsPassed_);
  return o;
}

// openSync() -> info: reads the header on this thread (for regular files, where it is quick).
Napi::Value OfflineHandle::OpenSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!reader_ || busy_ || opened_) {
    ThrowPcapError(env, "EINVAL", "openSync: the reader is closed or already open");
    return env.Undefined();
  }
  engine::ReadError e;
  engine::CaptureReader::Status s = reader_->Open(true, &e);
  if (s != engine::CaptureReader::kMore) {
    if (s == engine::CaptureReader::kInterrupted) e = {"ECLOSED", "the reader is closed"};
    OpenError(env, e).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  opened_ = true;
  known_ = reader_->interfaces();
  return InfoObject(env);
}

// Reads the header on a pool thread (pipes, FIFOs, stdin).
class OpenWorker : public PromiseWorker {
 public:
  OpenWorker(Napi::Env env, OfflineHandle* h) : PromiseWorker(env, "pcapkit.open", h->Value()), handle_(h) {}

 protected:
  void Execute() override { status_ = handle_->reader_->Open(true, &error_); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    OfflineHandle* h = handle_;
    h->busy_ = false;
    if (h->closeRequested_ || status_ == engine::CaptureReader::kInterrupted) {
      h->CloseNow();
      deferred_.Reject(MakePcapError(env, "ECLOSED", "the reader is closed").Value());
      return;
    }
    if (status_ != engine::CaptureReader::kMore) {
      deferred_.Reject(h->OpenError(env, error_).Value());
      return;
    }
    h->opened_ = true;
    h->known_ = h->reader_->interfaces();
    deferred_.Resolve(h->InfoObject(env));
  }

 private:
  OfflineHandle* handle_;
  engine::CaptureReader::Status status_ = engine::CaptureReader::kError;
  engine::ReadError error_;
};

Napi::Value OfflineHandle::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!reader_ || busy_ || opened_) {
    ThrowPcapError(env, "EINVAL", "open: the reader is closed or already open");
    return env.Undefined();
  }
  auto* w = new OpenWorker(env, this);
  busy_ = true;
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value OfflineHandle::Info(const Napi::CallbackInfo& info) { return InfoObject(info.Env()); }

// interfaces(from = 0) -> the interfaces from index `from` on.
Napi::Value OfflineHandle::Interfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array arr = Napi::Array::New(env);
  if (!reader_ || busy_) return arr;
  size_t from = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
  const auto& list = reader_->interfaces();
  uint32_t n = 0;
  for (size_t i = from; i < list.size(); i++) arr.Set(n++, InterfaceObject(env, list[i]));
  return arr;
}

Napi::Value OfflineHandle::Offset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!reader_ || busy_) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, static_cast<double>(reader_->offset()));
}

Napi::Value OfflineHandle::SetPrecision(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!reader_ || busy_) {
    ThrowPcapError(env, "EINVAL", "setPrecision: the reader is closed or busy");
    return env.Undefined();
  }
  reader_->SetWantNano(!(info.Length() > 0 && info[0].IsString() &&
                         info[0].As<Napi::String>().Utf8Value() == "micro"));
  return env.Undefined();
}

Napi::Value OfflineHandle::SetFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!reader_ || closeRequested_) {
    ThrowPcapError(env, "ECLOSED", "the reader is closed");
    return env.Undefined();
  }
  std::string expr = info.Length() > 0 && info[0].IsString()
                         ? info[0].As<Napi::String>().Utf8Value()
                         : std::string();
  auto fresh = std::make_unique<engine::FilterSet>();
  std::string error;
  if (!fresh->Set(expr, known_, &error)) {
    ThrowPcapError(env, "EFILTER", error);
    return env.Undefined();
  }
  if (busy_) {
    std::lock_guard<std::mutex> lock(pendingMutex_);
    pendingFilter_ = std::move(fresh);
  } else {
    filter_.Swap(*fresh);
  }
  return env.Undefined();
}

// Reads up to one batch on a libuv pool thread.
class ReadBatchWorker : public PromiseWorker {
 public:
  ReadBatchWorker(Napi::Env env, OfflineHandle* handle, Napi::Uint8Array arena,
                  Napi::Float64Array hdr)
      : PromiseWorker(env, "pcapkit.read", handle->Value()),
        handle_(handle),
        arena_(arena.Data()),
        arenaSize_(arena.ByteLength()),
        hdr_(hdr.Data()),
        maxPackets_(hdr.ElementLength() / HDR_STRIDE) {
    arenaRef_ = Napi::Persistent(static_cast<Napi::Object>(arena));
    hdrRef_ = Napi::Persistent(static_cast<Napi::Object>(hdr));
  }


 protected:
  void Execute() override {
    OfflineHandle* h = handle_;
    {
      std::lock_guard<std::mutex> lock(h->pendingMutex_);
      if (h->pendingFilter_) {
        h->filter_.Swap(*h->pendingFilter_);
        h->pendingFilter_.reset();
      }
    }
    engine::FilterSet& filter = h->filter_;
    double* hdr = hdr_;
    size_t n = 0;
    auto accept = [&](const engine::PacketView& v) {
      if (!filter.Matches(v)) return false;
      double* slot = hdr + n * HDR_STRIDE;
      slot[H_TS_SEC] = static_cast<double>(v.sec);
      slot[H_TS_NSEC] = v.nsec;
      slot[H_CAPLEN] = v.caplen;
      slot[H_LEN] = v.len;
      slot[H_OFFSET] = static_cast<double>(v.offset);
      slot[H_LINKTYPE] = v.itf->dlt;
      slot[H_IFINDEX] = v.itf->global;
      slot[H_FLAGS] = v.flags;
      if (v.comment != nullptr) {
        comments_.emplace_back(n, std::string(reinterpret_cast<const char*>(v.comment), v.commentLen));
      }
      n++;
      return true;
    };
    status_ = h->reader_->Fill(arena_, arenaSize_, maxPackets_, accept, &result_, &error_);
  }

  void OnOK() override { Finish(); }
  void OnError(const Napi::Error&) override { Finish(); }

 private:
  void Finish() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    OfflineHandle* h = handle_;
    h->busy_ = false;
    h->packetsRead_ += static_cast<double>(result_.read);
    h->packetsPassed_ += static_cast<double>(result_.accepted);
    using S = engine::CaptureReader;
    bool failed = status_ == S::kError;
    bool eof = status_ == S::kEof || failed || status_ == S::kInterrupted;
    if (eof) h->eof_ = true;
    if (result_.interfacesChanged && h->reader_) h->known_ = h->reader_->interfaces();
    Napi::Object result = Napi::Object::New(env);
    result.Set("count", static_cast<double>(result_.accepted));
    result.Set("read", static_cast<double>(result_.read));
    result.Set("bytes", static_cast<double>(result_.used));
    result.Set("eof", Napi::Boolean::New(env, eof));
    if (result_.needBytes > 0) result.Set("needBytes", static_cast<double>(result_.needBytes));
    if (result_.interfacesChanged) result.Set("interfacesChanged", true);
    if (!comments_.empty()) {
      Napi::Array c = Napi::Array::New(env, comments_.size() * 2);
      uint32_t k = 0;
      for (auto& e : comments_) {
        c.Set(k++, static_cast<double>(e.first));
        c.Set(k++, Napi::String::New(env, e.second));
      }
      result.Set("comments", c);
    }
    if (status_ == S::kInterrupted) result.Set("closed", true);
    if (failed) {
      std::string msg = error_.message;
      if (error_.code == "ETRUNCATED") {
        msg = "file is cut short after " + FormatCount(h->packetsRead_) + " packets";
        if (error_.offset >= 0) msg += " (at byte " + FormatCount(static_cast<double>(error_.offset)) + ")";
        msg += ": " + error_.message;
      } else if (error_.code == "EFORMAT") {
        msg = "damaged after " + FormatCount(h->packetsRead_) + " packets";
        if (error_.offset >= 0) msg += " (at byte " + FormatCount(static_cast<double>(error_.offset)) + ")";
        msg += ": " + error_.message;
      }
      Napi::Error err = MakePcapError(env, error_.code, h->path_ + ": " + msg);
      err.Set("packetsRead", Napi::Number::New(env, h->packetsRead_));
      if (error_.offset >= 0) err.Set("offset", Napi::Number::New(env, static_cast<double>(error_.offset)));
      result.Set("error", err.Value());
    }
    if (h->closeRequested_) h->CloseNow();
    deferred_.Resolve(result);
  }

  OfflineHandle* handle_;
  Napi::ObjectReference arenaRef_;
  Napi::ObjectReference hdrRef_;
  uint8_t* arena_;
  size_t arenaSize_;
  double* hdr_;
  size_t maxPackets_;
  engine::FillResult result_;
  engine::ReadError error_;
  engine::CaptureReader::Status status_ = engine::CaptureReader::kMore;
  std::vector<std::pair<size_t, std::string>> comments_;
};

// read(arena: Uint8Array, headers: Float64Array) -> Promise<ReadResult>
Napi::Value OfflineHandle::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!reader_ || closeRequested_) {
    ThrowPcapError(env, "ECLOSED", "the reader is closed");
    return env.Undefined();
  }
  if (busy_ || !opened_) {
    ThrowPcapError(env, "EINVAL", busy_ ? "a read is already in progress on this reader"
                                        : "read: the header has not been read (open first)");
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowPcapError(env, "EINVAL", "read(arena: Uint8Array, headers: Float64Array)");
    return env.Undefined();
  }
  if (eof_) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("count", 0);
    result.Set("read", 0);
    result.Set("bytes", 0);
    result.Set("eof", true);
    Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
    d.Resolve(result);
    return d.Promise();
  }
  auto* worker = new ReadBatchWorker(env, this, info[0].As<Napi::Uint8Array>(),
                                     info[1].As<Napi::Float64Array>());
  busy_ = true;
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// close(): at once when idle; while a worker reads, wakes it (a pipe read in poll() returns
// now) and the worker closes when it hands back.
Napi::Value OfflineHandle::Close(const Napi::CallbackInfo& info) {
  if (busy_) {
    closeRequested_ = true;
    if (source_) source_->Interrupt();
  } else {
    CloseNow();
  }
  return info.Env().Undefined();
}

}  // namespace pcapkit
