#include "offline.h"

#include <string>

#include "addon.h"
#include "batch.h"
#include "errors.h"
#include "savefile.h"

namespace pcapkit {

namespace {

std::string FormatCount(double n) { return std::to_string(static_cast<long long>(n)); }

}  // namespace

Napi::Function OfflineHandle::Init(Napi::Env env) {
  return DefineClass(env, "OfflineHandle",
                     {InstanceMethod("info", &OfflineHandle::Info),
                      InstanceMethod("setFilter", &OfflineHandle::SetFilter),
                      InstanceMethod("read", &OfflineHandle::Read),
                      InstanceMethod("offset", &OfflineHandle::Offset),
                      InstanceMethod("close", &OfflineHandle::Close)});
}

// new OfflineHandle(path, precision: 'micro' | 'nano')
OfflineHandle::OfflineHandle(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<OfflineHandle>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowPcapError(env, "EINVAL", "OfflineHandle(path, precision)");
    return;
  }
  path_ = info[0].As<Napi::String>().Utf8Value();
  if (info.Length() > 1 && info[1].IsString() &&
      info[1].As<Napi::String>().Utf8Value() == "micro") {
    precision_ = PCAP_TSTAMP_PRECISION_MICRO;
  }
  // Classic pcap files are opened at their own precision, so libpcap hands out the file's
  // fraction untouched (its scaling overflows on damaged fractions) and we scale it here.
  uint32_t magic = PeekMagic(path_);
  int openPrecision = precision_;
  if (magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1) {
    openPrecision = PCAP_TSTAMP_PRECISION_MICRO;
  } else if (magic == 0xa1b23c4d || magic == 0x4d3cb2a1) {
    openPrecision = PCAP_TSTAMP_PRECISION_NANO;
  }
  nsecFactor_ = openPrecision == PCAP_TSTAMP_PRECISION_MICRO ? 1000 : 1;
  SavefileOpen r = OpenSavefile(path_, openPrecision);
  if (r.pcap == nullptr) {
    ThrowPcapError(env, r.code, r.message);
    return;
  }
  pcap_ = r.pcap;
  fileSize_ = r.fileSize;
  magic_ = r.magic;
  linktype_ = pcap_datalink(pcap_);
  snaplen_ = pcap_snapshot(pcap_);
  if (path_ != "-") {
    SavefileOpen c = OpenSavefile(path_, openPrecision);
    compilePcap_ = c.pcap;  // null if the file vanished meanwhile: pcap_ is used then
  }
  if (PcapRecordReader::Eligible(magic_, pcap_)) {
    direct_ = true;
    records_.Init(pcap_file(pcap_), magic_ == 0xa1b23c4d,
                  precision_ == PCAP_TSTAMP_PRECISION_NANO, static_cast<uint32_t>(snaplen_));
  }
}

OfflineHandle::~OfflineHandle() { CloseNow(); }

void OfflineHandle::CloseNow() {
  if (pcap_ != nullptr) {
    pcap_close(pcap_);
    pcap_ = nullptr;
  }
  if (compilePcap_ != nullptr) {
    pcap_close(compilePcap_);
    compilePcap_ = nullptr;
  }
  pendingValid_ = false;
  std::lock_guard<std::mutex> lock(filterMutex_);
  filter_.Reset();
}

Napi::Value OfflineHandle::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("linktype", linktype_);
  o.Set("snaplen", snaplen_);
  o.Set("fileSize", static_cast<double>(fileSize_));
  o.Set("magic", static_cast<double>(magic_));
  if (pcap_ != nullptr) {
    o.Set("swapped", Napi::Boolean::New(env, pcap_is_swapped(pcap_) == 1));
    o.Set("versionMajor", pcap_major_version(pcap_));
    o.Set("versionMinor", pcap_minor_version(pcap_));
  }
  o.Set("packetsRead", packetsRead_);
  o.Set("packetsPassed", packetsPassed_);
  return o;
}

Napi::Value OfflineHandle::Offset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (pcap_ == nullptr || busy_) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, static_cast<double>(SavefileOffset(pcap_)));
}

Napi::Value OfflineHandle::SetFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (pcap_ == nullptr) {
    ThrowPcapError(env, "ECLOSED", "the reader is closed");
    return env.Undefined();
  }
  std::string expr = info.Length() > 0 && info[0].IsString()
                         ? info[0].As<Napi::String>().Utf8Value()
                         : std::string();
  if (expr.find_first_not_of(" \t\r\n") == std::string::npos) {
    std::lock_guard<std::mutex> lock(filterMutex_);
    filter_.Reset();
    return env.Undefined();
  }
  // Compile outside the lock (it touches no shared state), then swap it in.
  CompiledFilter fresh;
  std::string error;
  pcap_t* with = compilePcap_ != nullptr ? compilePcap_ : (busy_ ? nullptr : pcap_);
  bool ok = with != nullptr
                ? fresh.CompileWith(with, expr, PCAP_NETMASK_UNKNOWN, &error)
                : fresh.Compile(linktype_, snaplen_, expr, PCAP_NETMASK_UNKNOWN, &error);
  if (!ok) {
    ThrowPcapError(env, "EFILTER", error);
    return env.Undefined();
  }
  std::lock_guard<std::mutex> lock(filterMutex_);
  filter_.Swap(fresh);
  return env.Undefined();
}

// Reads up to one batch on a libuv pool thread.
class ReadBatchWorker : public Napi::AsyncWorker {
 public:
  ReadBatchWorker(Napi::Env env, OfflineHandle* handle, Napi::Uint8Array arena,
                  Napi::Float64Array hdr)
      : Napi::AsyncWorker(env, "pcapkit.read"),
        deferred_(Napi::Promise::Deferred::New(env)),
        handle_(handle),
        writer_{arena.Data(), arena.ByteLength(), hdr.Data(), hdr.ElementLength() / HDR_STRIDE} {
    handleRef_ = Napi::Persistent(handle->Value());
    arenaRef_ = Napi::Persistent(static_cast<Napi::Object>(arena));
    hdrRef_ = Napi::Persistent(static_cast<Napi::Object>(hdr));
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    OfflineHandle* h = handle_;
    pcap_t* p = h->pcap_;
    const uint32_t factor = h->nsecFactor_;
    const bool wantMicro = h->precision_ == PCAP_TSTAMP_PRECISION_MICRO;
    const int lt = h->linktype_;
    std::lock_guard<std::mutex> lock(h->filterMutex_);
    if (h->direct_) {
      switch (h->records_.Fill(&writer_, h->filter_, lt, &read_, &needBytes_, &errorMessage_)) {
        case PcapRecordReader::kEof:
          eof_ = true;
          break;
        case PcapRecordReader::kError:
          failed_ = true;
          offset_ = SavefileOffset(p);
          break;
        case PcapRecordReader::kMore:
          break;
      }
      return;
    }
    if (h->pendingValid_) {
      if (!writer_.Fits(h->pendingHdr_.caplen)) {
        needBytes_ = h->pendingHdr_.caplen;
        return;
      }
      writer_.Add(&h->pendingHdr_, h->pendingData_, lt, factor, wantMicro);
      h->pendingValid_ = false;
    }
    while (!writer_.Full()) {
      pcap_pkthdr* hdr = nullptr;
      const u_char* data = nullptr;
      int rc = pcap_next_ex(p, &hdr, &data);
      if (rc == 1) {
        read_++;
        if (!h->filter_.Matches(hdr, data)) continue;
        if (!writer_.Fits(hdr->caplen)) {
          h->pendingHdr_ = *hdr;
          h->pendingData_ = data;
          h->pendingValid_ = true;
          if (writer_.count == 0) needBytes_ = hdr->caplen;
          break;
        }
        writer_.Add(hdr, data, lt, factor, wantMicro);
      } else if (rc == PCAP_ERROR_BREAK) {
        eof_ = true;
        break;
      } else {
        failed_ = true;
        errorMessage_ = pcap_geterr(p);
        offset_ = SavefileOffset(p);
        break;
      }
    }
  }

  void OnOK() override { Finish(); }
  void OnError(const Napi::Error& e) override { Finish(); }

 private:
  void Finish() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    OfflineHandle* h = handle_;
    h->busy_ = false;
    h->packetsRead_ += read_;
    h->packetsPassed_ += writer_.count;
    if (eof_ || failed_) h->eof_ = true;
    Napi::Object result = Napi::Object::New(env);
    result.Set("count", static_cast<double>(writer_.count));
    result.Set("read", static_cast<double>(read_));
    result.Set("bytes", static_cast<double>(writer_.used));
    result.Set("eof", Napi::Boolean::New(env, eof_ || failed_));
    if (needBytes_ > 0) result.Set("needBytes", static_cast<double>(needBytes_));
    if (failed_) {
      std::string code = CodeForSavefileMessage(errorMessage_);
      std::string msg = errorMessage_;
      if (code == "ETRUNCATED") {
        msg = "file is cut short after " + FormatCount(h->packetsRead_) + " packets";
        if (offset_ >= 0) msg += " (at byte " + FormatCount(static_cast<double>(offset_)) + ")";
        msg += ": " + errorMessage_;
      }
      Napi::Error err = MakePcapError(env, code, h->path_ + ": " + msg);
      err.Set("packetsRead", Napi::Number::New(env, h->packetsRead_));
      if (offset_ >= 0) err.Set("offset", Napi::Number::New(env, static_cast<double>(offset_)));
      result.Set("error", err.Value());
    }
    if (h->closeRequested_) h->CloseNow();
    deferred_.Resolve(result);
  }

  Napi::Promise::Deferred deferred_;
  OfflineHandle* handle_;
  Napi::ObjectReference handleRef_;
  Napi::ObjectReference arenaRef_;
  Napi::ObjectReference hdrRef_;
  BatchWriter writer_;
  size_t read_ = 0;
  size_t needBytes_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  std::string errorMessage_;
  int64_t offset_ = -1;
};

// read(arena: Uint8Array, headers: Float64Array) -> Promise<{count, read, bytes, eof, error?, needBytes?}>
Napi::Value OfflineHandle::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (pcap_ == nullptr || closeRequested_) {
    ThrowPcapError(env, "ECLOSED", "the reader is closed");
    return env.Undefined();
  }
  if (busy_) {
    ThrowPcapError(env, "EINVAL", "a read is already in progress on this reader");
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

Napi::Value OfflineHandle::Close(const Napi::CallbackInfo& info) {
  if (busy_) {
    closeRequested_ = true;
  } else {
    CloseNow();
  }
  return info.Env().Undefined();
}

}  // namespace pcapkit
