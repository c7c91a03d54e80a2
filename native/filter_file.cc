#include "filter_file.h"

#include <cerrno>
#include <cstring>

#include "addon.h"
#include "dumper.h"
#include "errors.h"
#include "savefile.h"

namespace pcapkit {

Napi::Function FilterJob::Init(Napi::Env env) {
  return DefineClass(env, "FilterJob",
                     {InstanceMethod("start", &FilterJob::Start),
                      InstanceMethod("progress", &FilterJob::Progress),
                      InstanceMethod("cancel", &FilterJob::Cancel),
                      InstanceMethod("info", &FilterJob::Info)});
}

// new FilterJob(input, output, expression, precision: 'micro'|'nano')
// Opens both files and compiles the filter at once, so every setup error is synchronous.
FilterJob::FilterJob(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FilterJob>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString() ||
      !info[3].IsString()) {
    ThrowPcapError(env, "EINVAL", "FilterJob(input, output, expression, precision)");
    return;
  }
  inPath_ = info[0].As<Napi::String>().Utf8Value();
  outPath_ = info[1].As<Napi::String>().Utf8Value();
  std::string expr = info[2].As<Napi::String>().Utf8Value();
  int precision = info[3].As<Napi::String>().Utf8Value() == "micro"
                      ? PCAP_TSTAMP_PRECISION_MICRO
                      : PCAP_TSTAMP_PRECISION_NANO;
  SavefileOpen r = OpenSavefile(inPath_, precision);
  if (r.pcap == nullptr) {
    ThrowPcapError(env, r.code, r.message);
    return;
  }
  in_ = r.pcap;
  fileSize_ = r.fileSize;
  linktype_ = pcap_datalink(in_);
  snaplen_ = pcap_snapshot(in_);
  if (expr.find_first_not_of(" \t\r\n") != std::string::npos) {
    std::string error;
    if (!filter_.CompileWith(in_, expr, PCAP_NETMASK_UNKNOWN, &error)) {
      Release();
      ThrowPcapError(env, "EFILTER", error);
      return;
    }
  }
  DumpTarget t = OpenDumpTarget(in_, outPath_, false);
  if (t.dumper == nullptr) {
    Release();
    ThrowPcapError(env, t.code, t.message);
    return;
  }
  out_ = t.dumper;
}

FilterJob::~FilterJob() { Release(); }

void FilterJob::Release() {
  if (out_ != nullptr) {
    pcap_dump_close(out_);
    out_ = nullptr;
  }
  if (in_ != nullptr) {
    pcap_close(in_);
    in_ = nullptr;
  }
  filter_.Reset();
}

Napi::Value FilterJob::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("linktype", linktype_);
  o.Set("snaplen", snaplen_);
  o.Set("fileSize", static_cast<double>(fileSize_));
  return o;
}

Napi::Value FilterJob::Progress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("packetsRead", read_.load(std::memory_order_relaxed));
  o.Set("packetsWritten", written_.load(std::memory_order_relaxed));
  o.Set("bytesRead", static_cast<double>(offset_.load(std::memory_order_relaxed)));
  o.Set("totalBytes", static_cast<double>(fileSize_));
  return o;
}

Napi::Value FilterJob::Cancel(const Napi::CallbackInfo& info) {
  cancel_.store(true);
  return info.Env().Undefined();
}

namespace {

struct LoopState {
  FilterJob* job;
  pcap_dumper_t* out;
  const CompiledFilter* filter;
  double read = 0, written = 0, bytesOut = 0;
};

}  // namespace

class FilterWorker : public Napi::AsyncWorker {
 public:
  FilterWorker(Napi::Env env, FilterJob* job)
      : Napi::AsyncWorker(env, "pcapkit.filterFile"),
        deferred_(Napi::Promise::Deferred::New(env)),
        job_(job) {
    jobRef_ = Napi::Persistent(job->Value());
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  static void OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* data) {
    auto* s = reinterpret_cast<LoopState*>(user);
    s->read++;
    if (!s->filter->Matches(h, data)) return;
    pcap_dump(reinterpret_cast<u_char*>(s->out), h, data);
    s->written++;
    s->bytesOut += h->caplen;
  }

  void Execute() override {
    FilterJob* j = job_;
    LoopState s{j, j->out_, &j->filter_};
    // Chunks bound how long a cancel or a progress update waits; the filter runs in the
    // callback (not pcap_setfilter) so a filter that rejects everything still yields here.
    const int kChunk = 8192;
    while (true) {
      if (j->cancel_.load(std::memory_order_relaxed)) {
        cancelled_ = true;
        break;
      }
      int rc = pcap_dispatch(j->in_, kChunk, &FilterWorker::OnPacket,
                             reinterpret_cast<u_char*>(&s));
      j->read_.store(s.read, std::memory_order_relaxed);
      j->written_.store(s.written, std::memory_order_relaxed);
      j->offset_.store(SavefileOffset(j->in_), std::memory_order_relaxed);
      if (rc == 0) break;  // end of file
      if (rc < 0) {
        readError_ = pcap_geterr(j->in_);
        break;
      }
      if (!DumperHealthy(j->out_, &writeCode_, &writeError_)) break;
    }
    bytesOut_ = s.bytesOut;
    if (writeError_.empty()) {
      errno = 0;
      if (pcap_dump_flush(j->out_) != 0) {
        int err = errno != 0 ? errno : EIO;
        writeCode_ = CodeForErrno(err);
        writeError_ = std::string("flush failed: ") + std::strerror(err);
      }
    }
    j->read_.store(s.read);
    j->written_.store(s.written);
    j->bytesOut_.store(s.bytesOut);
    int64_t off = SavefileOffset(j->in_);
    j->offset_.store(off);
    finalOffset_ = off;
    outBytes_ = pcap_dump_ftell64(j->out_);
    j->Release();
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    FilterJob* j = job_;
    Napi::Object result = Napi::Object::New(env);
    result.Set("packetsRead", j->read_.load());
    result.Set("packetsWritten", j->written_.load());
    result.Set("bytesRead", static_cast<double>(finalOffset_));
    result.Set("bytesWritten", static_cast<double>(outBytes_));
    result.Set("cancelled", Napi::Boolean::New(env, cancelled_));
    if (!writeError_.empty()) {
      Napi::Error e = MakePcapError(env, writeCode_, j->outPath_ + ": " + writeError_);
      e.Set("result", result);
      deferred_.Reject(e.Value());
      return;
    }
    if (!readError_.empty()) {
      std::string code = CodeForSavefileMessage(readError_);
      std::string msg = readError_;
      if (code == "ETRUNCATED") {
        msg = j->inPath_ + ": file is cut short after " +
              std::to_string(static_cast<long long>(j->read_.load())) + " packets (at byte " +
              std::to_string(static_cast<long long>(finalOffset_)) + "): " + readError_;
      }
      Napi::Error e = MakePcapError(env, code, msg);
      e.Set("result", result);
      e.Set("packetsRead", Napi::Number::New(env, j->read_.load()));
      deferred_.Reject(e.Value());
      return;
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  FilterJob* job_;
  Napi::ObjectReference jobRef_;
  bool cancelled_ = false;
  std::string readError_;
  std::string writeCode_, writeError_;
  double bytesOut_ = 0;
  int64_t finalOffset_ = -1;
  int64_t outBytes_ = -1;
};

Napi::Value FilterJob::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (started_ || in_ == nullptr) {
    ThrowPcapError(env, "EINVAL", "this filter job has already run");
    return env.Undefined();
  }
  started_ = true;
  auto* worker = new FilterWorker(env, this);
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

}  // namespace pcapkit
