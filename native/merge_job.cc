#include "merge_job.h"

#include <sys/stat.h>

#include "addon.h"
#include "errors.h"
#include "promise_worker.h"

namespace pcapkit {

Napi::Function MergeJob::Init(Napi::Env env) {
  return DefineClass(env, "MergeJob",
                     {InstanceMethod("start", &MergeJob::Start),
                      InstanceMethod("progress", &MergeJob::Progress),
                      InstanceMethod("cancel", &MergeJob::Cancel)});
}

// new MergeJob(inputs: string[], output, { append, format, precision }): opens every input
// descriptor now (never blocking); headers are read and the output created on the pool thread.
MergeJob::MergeJob(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MergeJob>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsString() || !info[2].IsObject()) {
    ThrowPcapError(env, "EINVAL", "MergeJob(inputs, output, options)");
    return;
  }
  Napi::Array inputs = info[0].As<Napi::Array>();
  outPath_ = info[1].As<Napi::String>().Utf8Value();
  Napi::Object o = info[2].As<Napi::Object>();
  engine::Merger::Options options;
  options.append = o.Get("append").ToBoolean().Value();
  if (o.Get("format").IsString()) options.format = o.Get("format").As<Napi::String>().Utf8Value();
  if (o.Get("precision").IsString()) options.precision = o.Get("precision").As<Napi::String>().Utf8Value();
  struct stat out {};
  bool outExists = outPath_ != "-" && stat(outPath_.c_str(), &out) == 0;
  std::vector<std::unique_ptr<engine::ByteSource>> sources;
  for (uint32_t i = 0; i < inputs.Length(); i++) {
    std::string path = inputs.Get(i).As<Napi::String>().Utf8Value();
    auto src = std::make_unique<engine::ByteSource>();
    engine::SourceError se;
    if (!src->Open(path, &se)) {
      ThrowPcapError(env, CodeForErrno(se.err), se.message);
      return;
    }
    if (outExists && src->dev() == out.st_dev && src->ino() == out.st_ino) {
      ThrowPcapError(env, "EINVAL", outPath_ + ": the output file is an input file; write to another path");
      return;
    }
    totalBytes_ = totalBytes_ < 0 || src->size() < 0 ? -1 : totalBytes_ + src->size();
    sources_.push_back(src.get());
    sources.push_back(std::move(src));
    inPaths_.push_back(path);
  }
  merger_ = std::make_unique<engine::Merger>(std::move(sources), inPaths_, options);
}

Napi::Value MergeJob::Progress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  int64_t consumed = 0;
  for (engine::ByteSource* s : sources_) consumed += s->consumed();
  o.Set("bytesRead", static_cast<double>(consumed));
  o.Set("totalBytes", static_cast<double>(totalBytes_));
  return o;
}

Napi::Value MergeJob::Cancel(const Napi::CallbackInfo& info) {
  cancel_.store(true);
  for (engine::ByteSource* s : sources_) s->Interrupt();
  return info.Env().Undefined();
}

class MergeWorker : public PromiseWorker {
 public:
  MergeWorker(Napi::Env env, MergeJob* job)
      : PromiseWorker(env, "pcapkit.mergeFiles", job->Value()), job_(job) {}

 protected:
  void Execute() override {
    engine::Merger& m = *job_->merger_;
    if (!m.Open(&readError_, &input_)) {
      if (readError_.code == "ECLOSED") cancelled_ = true;
      else readFailed_ = true;
      return;
    }
    format_ = m.kind() == engine::CaptureWriter::Kind::kPcapng ? "pcapng" : "pcap";
    if (!writer_.Open(job_->outPath_, false, &writeError_)) return;
    bool ok = m.Run(&writer_, job_->cancel_, &readError_, &input_, &writeError_);
    if (!ok && writeError_.code.empty()) readFailed_ = !readError_.code.empty();
    if (readError_.code == "ECLOSED" || m.cancelled()) cancelled_ = true;
    engine::WriteError closeError;
    if (!writer_.Close(&closeError) && writeError_.code.empty()) writeError_ = closeError;
    packetsRead_ = static_cast<double>(m.packetsRead());
    bytesRead_ = m.bytesRead();
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Object result = Napi::Object::New(env);
    result.Set("packetsRead", packetsRead_);
    result.Set("packetsWritten", static_cast<double>(writer_.packets()));
    result.Set("bytesRead", static_cast<double>(bytesRead_));
    result.Set("bytesWritten", static_cast<double>(writer_.position()));
    result.Set("cancelled", Napi::Boolean::New(env, cancelled_));
    if (!format_.empty()) result.Set("format", format_);
    if (!writeError_.code.empty()) {
      Napi::Error e = MakePcapError(env, writeError_.code, writeError_.message);
      e.Set("result", result);
      deferred_.Reject(e.Value());
      return;
    }
    if (readFailed_ && !cancelled_) {
      const std::string& path = job_->inPaths_[input_];
      std::string msg = readError_.message;
      if (readError_.code == "ETRUNCATED") msg = "file is cut short (at byte " + std::to_string(static_cast<long long>(readError_.offset)) + "): " + msg;
      else if (readError_.code == "EFORMAT" && readError_.offset > 0) msg = "damaged at byte " + std::to_string(static_cast<long long>(readError_.offset)) + ": " + msg;
      Napi::Error e = MakePcapError(env, readError_.code, path + ": " + msg);
      e.Set("result", result);
      e.Set("input", Napi::Number::New(env, static_cast<double>(input_)));
      deferred_.Reject(e.Value());
      return;
    }
    deferred_.Resolve(result);
  }

 private:
  MergeJob* job_;
  engine::CaptureWriter writer_;
  engine::ReadError readError_;
  engine::WriteError writeError_;
  size_t input_ = 0;
  bool readFailed_ = false, cancelled_ = false;
  std::string format_;
  double packetsRead_ = 0;
  int64_t bytesRead_ = 0;
};

Napi::Value MergeJob::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (started_ || !merger_) {
    ThrowPcapError(env, "EINVAL", "this merge job has already run");
    return env.Undefined();
  }
  started_ = true;
  auto* w = new MergeWorker(env, this);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace pcapkit
