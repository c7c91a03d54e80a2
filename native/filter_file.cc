#include "filter_file.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>

#include "addon.h"
#include "errors.h"
#include "promise_worker.h"
#include "engine/capture_reader.h"
#include "engine/capture_writer.h"
#include "engine/file_copy.h"
#include "engine/filter_set.h"

namespace pcapkit {

Napi::Function FilterJob::Init(Napi::Env env) {
  return DefineClass(env, "FilterJob",
                     {InstanceMethod("start", &FilterJob::Start),
                      InstanceMethod("progress", &FilterJob::Progress),
                      InstanceMethod("cancel", &FilterJob::Cancel)});
}

// new FilterJob(input, output, expression, { precision: 'micro'|'nano', format: 'pcap'|'pcapng',
// count, skip, start: [sec, nsec], end: [sec, nsec], repair }). Opens the input descriptor now
// (never blocking); for a regular file also the header, the filter and the output (see Setup).
FilterJob::FilterJob(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FilterJob>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString() ||
      !info[3].IsObject()) {
    ThrowPcapError(env, "EINVAL", "FilterJob(input, output, expression, options)");
    return;
  }
  inPath_ = info[0].As<Napi::String>().Utf8Value();
  outPath_ = info[1].As<Napi::String>().Utf8Value();
  expr_ = info[2].As<Napi::String>().Utf8Value();
  Napi::Object o = info[3].As<Napi::Object>();
  auto str = [&](const char* k) {
    Napi::Value v = o.Get(k);
    return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  };
  auto time = [&](const char* k, int64_t* sec, uint32_t* nsec) {
    Napi::Value v = o.Get(k);
    if (!v.IsArray()) return false;
    Napi::Array a = v.As<Napi::Array>();
    *sec = a.Get(0u).As<Napi::Number>().Int64Value();
    *nsec = a.Get(1u).As<Napi::Number>().Uint32Value();
    return true;
  };
  precision_ = str("precision");
  format_ = str("format");
  if (o.Get("count").IsNumber()) count_ = o.Get("count").As<Napi::Number>().Int64Value();
  if (o.Get("skip").IsNumber()) skip_ = o.Get("skip").As<Napi::Number>().Int64Value();
  haveStart_ = time("start", &startSec_, &startNsec_);
  haveEnd_ = time("end", &endSec_, &endNsec_);
  repair_ = o.Get("repair").ToBoolean().Value();
  if (o.Get("splitPackets").IsNumber()) splitPackets_ = o.Get("splitPackets").As<Napi::Number>().Int64Value();
  if (o.Get("splitSeconds").IsNumber()) splitSeconds_ = o.Get("splitSeconds").As<Napi::Number>().Int64Value();
  prefix_ = str("prefix");
  suffix_ = str("suffix");
  source_ = std::make_unique<engine::ByteSource>();
  engine::SourceError se;
  if (!source_->Open(inPath_, &se)) {
    ThrowPcapError(env, CodeForErrno(se.err), se.message);
    source_.reset();
    return;
  }
  fileSize_ = source_->size();
  if (outPath_ != "-") {
    struct stat st {};
    if (stat(outPath_.c_str(), &st) == 0 && st.st_dev == source_->dev() &&
        st.st_ino == source_->ino()) {
      source_.reset();
      ThrowPcapError(env, "EINVAL", outPath_ + ": the output file is the input file; write to another path");
      return;
    }
  }
  if (source_->regular()) {
    engine::ReadError re;
    engine::WriteError we;
    if (!Setup(&re, &we)) {
      if (readSetupFailed_) ThrowPcapError(env, re.code, inPath_ + ": " + re.message);
      else ThrowPcapError(env, we.code, we.message);
      source_.reset();
    }
  }
}

bool FilterJob::Setup(engine::ReadError* re, engine::WriteError* we) {
  ready_ = true;
  reader_ = std::make_unique<engine::CaptureReader>(source_.get());
  engine::CaptureReader::Status s = reader_->Open(true, re);
  if (s != engine::CaptureReader::kMore) {
    readSetupFailed_ = true;
    if (s == engine::CaptureReader::kInterrupted) *re = {"ECLOSED", "cancelled before the header arrived"};
    return false;
  }
  inFormat_ = reader_->format() == engine::Format::kPcapng ? "pcapng" : "pcap";
  std::string why;
  if (!filter_.Set(expr_, reader_->interfaces(), &why)) {
    *we = {"EFILTER", why, 0};
    return false;
  }
  engine::CaptureWriter::Kind kind = (format_.empty() ? inFormat_ : format_) == "pcapng"
                                         ? engine::CaptureWriter::Kind::kPcapng
                                         : engine::CaptureWriter::Kind::kPcap;
  outFormat_ = kind == engine::CaptureWriter::Kind::kPcapng ? "pcapng" : "pcap";
  bool outNano = precision_.empty() ? reader_->nano() : precision_ == "nano";
  copier_ = std::make_unique<engine::PacketCopier>(reader_.get(), &writer_, kind, outNano);
  if (!copier_->Prepare(we)) {
    we->message = outPath_ + ": " + we->message;
    return false;
  }
  if (splitting()) return true;  // each piece is opened when its first packet comes
  if (!writer_.Open(outPath_, false, we)) return false;
  return copier_->Begin(we);
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
  if (source_) source_->Interrupt();  // a read waiting on a pipe returns now
  return info.Env().Undefined();
}

class FilterWorker : public PromiseWorker {
 public:
  FilterWorker(Napi::Env env, FilterJob* job)
      : PromiseWorker(env, "pcapkit.filterFile", job->Value()), job_(job) {}

 protected:
  void Execute() override {
    FilterJob* j = job_;
    using S = engine::CaptureReader;
    if (!j->ready_) {
      engine::WriteError we;
      if (!j->Setup(&readError_, &we)) {
        if (j->readSetupFailed_) {
          if (readError_.code == "ECLOSED") cancelled_ = true;
          else setupFailed_ = true;
        } else {
          writeError_ = we;
        }
        return;
      }
    }
    S& reader = *j->reader_;
    engine::FilterSet& filter = j->filter_;
    engine::PacketCopier& copier = *j->copier_;
    engine::CaptureWriter& writer_ = j->writer_;
    inFormat_ = j->inFormat_;
    outFormat_ = j->outFormat_;
    opened_ = true;
    S::Status s = S::kMore;

    std::vector<uint8_t> arena(1u << 20);
    double read = 0, written = 0;
    bool stop = false;
    int64_t skipped = 0;
    auto accept = [&](const engine::PacketView& v) {
      read++;
      if (stop || !filter.Matches(v)) return false;
      // The time window [start, end), then the first `skip` packets passed over.
      if (j->haveStart_ && (v.sec < j->startSec_ || (v.sec == j->startSec_ && v.nsec < j->startNsec_))) return false;
      if (j->haveEnd_ && !(v.sec < j->endSec_ || (v.sec == j->endSec_ && v.nsec < j->endNsec_))) return false;
      if (skipped < j->skip_) {
        skipped++;
        return false;
      }
      if (j->splitting() && !NextPiece(v, copier)) {
        stop = true;
        reader.StopFill();
        return false;
      }
      if (!copier.Write(v, &writeError_)) {
        stop = true;
        reader.StopFill();
        return false;
      }
      written++;
      piecePackets_++;
      if (j->count_ >= 0 && written >= static_cast<double>(j->count_)) {
        stop = true;
        reader.StopFill();
      }
      return false;  // written out: the arena bytes may be reused at once
    };
    for (;;) {
      if (j->cancel_.load(std::memory_order_relaxed)) {
        cancelled_ = true;
        break;
      }
      engine::FillResult r;
      s = reader.Fill(arena.data(), arena.size(), SIZE_MAX, accept, &r, &readError_);
      j->read_.store(read, std::memory_order_relaxed);
      j->written_.store(written, std::memory_order_relaxed);
      j->offset_.store(reader.offset(), std::memory_order_relaxed);
      if (stop) break;
      if (r.needBytes > 0) {
        arena.resize(r.needBytes + 4096);
        continue;
      }
      if (s == S::kEof) break;
      if (s == S::kInterrupted) {
        cancelled_ = true;
        break;
      }
      if (s == S::kError) {
        if (j->repair_ && readError_.code == "EFORMAT") {
          // Damage in the middle: note it (the first one is reported), skip to the next
          // plausible record and go on.
          if (regions_++ == 0) {
            firstDamage_ = readError_;
            damagePackets_ = read;
          }
          readError_ = engine::ReadError();
          S::Status rs = reader.Resync(&bytesSkipped_, &readError_);
          if (rs == S::kMore) continue;
          if (rs == S::kEof) break;
          if (rs == S::kInterrupted) {
            cancelled_ = true;
            break;
          }
        }
        readFailed_ = true;
        break;
      }
    }
    engine::WriteError closeError;
    if (!writer_.Close(&closeError) && writeError_.code.empty()) writeError_ = closeError;
    if (piece_) ClosePiece();
    packetsRead_ = read;
    packetsWritten_ = static_cast<double>(j->splitting() ? splitWritten_ : writer_.packets());
    j->written_.store(packetsWritten_);
    bytesRead_ = reader.offset();
    bytesWritten_ = j->splitting() ? splitBytes_ : writer_.position();
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    FilterJob* j = job_;
    // (the copier refers to the reader, the reader to the source)
    j->copier_.reset();
    j->reader_.reset();
    j->source_.reset();
    Napi::Object result = Napi::Object::New(env);
    result.Set("packetsRead", packetsRead_);
    result.Set("packetsWritten", packetsWritten_);
    result.Set("bytesRead", static_cast<double>(bytesRead_));
    result.Set("bytesWritten", static_cast<double>(bytesWritten_));
    result.Set("cancelled", Napi::Boolean::New(env, cancelled_));
    if (j->repair_) {
      result.Set("bytesSkipped", static_cast<double>(bytesSkipped_));
      result.Set("damagedRegions", static_cast<double>(regions_));
    }
    if (job_->splitting()) {
      Napi::Array files = Napi::Array::New(env, files_.size());
      for (size_t i = 0; i < files_.size(); i++) files.Set(static_cast<uint32_t>(i), files_[i]);
      result.Set("files", files);
    }
    if (!inFormat_.empty()) result.Set("inputFormat", inFormat_);
    if (!outFormat_.empty()) result.Set("format", outFormat_);
    if (setupFailed_) {
      Napi::Error e = MakePcapError(env, readError_.code, j->inPath_ + ": " + readError_.message);
      e.Set("packetsRead", Napi::Number::New(env, 0));
      deferred_.Reject(e.Value());
      return;
    }
    if (!writeError_.code.empty()) {
      std::string msg = writeError_.message;
      if ((writeError_.code == "ENOSPC" || writeError_.code == "EIO") && opened_) {
        if (bytesWritten_ == 0) {
          msg += "; " + j->outPath_ + " is empty (not even the file header fitted)";
        } else {
          msg += "; " + j->outPath_ + " holds the first " +
                 std::to_string(static_cast<long long>(packetsWritten_)) + " matching packets";
        }
      }
      Napi::Error e = MakePcapError(env, writeError_.code,
                                    writeError_.code == "EFORMAT" ? j->inPath_ + ": " + msg : msg);
      e.Set("result", result);
      deferred_.Reject(e.Value());
      return;
    }
    double packetsBefore = packetsRead_;
    if (!readFailed_ && regions_ > 0) {
      // Repaired: report the first damage, with what was skipped.
      readFailed_ = true;
      readError_ = firstDamage_;
      packetsBefore = damagePackets_;
      readError_.message += "; " + std::to_string(static_cast<unsigned long long>(bytesSkipped_)) +
                            " bytes in " + std::to_string(regions_) +
                            (regions_ == 1 ? " damaged region" : " damaged regions") + " skipped";
    }
    if (readFailed_) {
      std::string msg = readError_.message;
      std::string where = " after " + std::to_string(static_cast<long long>(packetsBefore)) +
                          " packets (at byte " + std::to_string(static_cast<long long>(readError_.offset)) + ")";
      if (readError_.code == "ETRUNCATED") msg = "file is cut short" + where + ": " + msg;
      else if (readError_.code == "EFORMAT") msg = "damaged" + where + ": " + msg;
      Napi::Error e = MakePcapError(env, readError_.code, j->inPath_ + ": " + msg);
      e.Set("result", result);
      e.Set("packetsRead", Napi::Number::New(env, packetsBefore));
      if (readError_.offset >= 0) e.Set("offset", Napi::Number::New(env, static_cast<double>(readError_.offset)));
      deferred_.Reject(e.Value());
      return;
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  FilterJob* job_;
  engine::ReadError readError_;
  engine::WriteError writeError_;
  bool cancelled_ = false, setupFailed_ = false, readFailed_ = false, opened_ = false;
  std::string inFormat_, outFormat_;
  double packetsRead_ = 0, packetsWritten_ = 0;
  uint64_t bytesSkipped_ = 0;
  size_t regions_ = 0;
  engine::ReadError firstDamage_;
  double damagePackets_ = 0;  // packets read before the first damage
  // Split: the piece being written, and what the closed ones hold.
  std::unique_ptr<engine::CaptureWriter> piece_;
  int64_t piecePackets_ = 0, interval_ = 0, firstSec_ = 0;
  uint64_t splitWritten_ = 0;
  int64_t splitBytes_ = 0;
  std::vector<std::string> files_;

  // Closes the current piece, counting what it holds; a failure becomes the write error.
  void ClosePiece() {
    engine::WriteError e;
    if (!piece_->Close(&e) && writeError_.code.empty()) writeError_ = e;
    splitWritten_ += piece_->packets();
    splitBytes_ += piece_->position();
    piece_.reset();
  }

  // Before packet v: opens the next piece when the current one is full (packets) or v is in
  // another interval (seconds). False on a write error.
  bool NextPiece(const engine::PacketView& v, engine::PacketCopier& copier) {
    FilterJob* j = job_;
    bool rotate = !piece_;
    if (piece_ && j->splitPackets_ > 0 && piecePackets_ >= j->splitPackets_) rotate = true;
    if (j->splitSeconds_ > 0) {
      if (!piece_ && files_.empty()) firstSec_ = v.sec;
      int64_t d = v.sec - firstSec_;
      int64_t iv = d >= 0 ? d / j->splitSeconds_ : -((-d + j->splitSeconds_ - 1) / j->splitSeconds_);
      if (piece_ && iv != interval_) rotate = true;
      interval_ = iv;
    }
    if (!rotate) return true;
    if (piece_) ClosePiece();
    if (!writeError_.code.empty()) return false;
    char stamp[32] = "";
    time_t t = static_cast<time_t>(v.sec);
    struct tm tm {};
    if (localtime_r(&t, &tm) != nullptr) strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
    char index[16];
    snprintf(index, sizeof index, "_%05zu_", files_.size());
    std::string name = j->prefix_ + index + stamp + j->suffix_;
    piece_ = std::make_unique<engine::CaptureWriter>();
    if (!piece_->Open(name, false, &writeError_)) {
      piece_.reset();
      return false;
    }
    files_.push_back(name);
    piecePackets_ = 0;
    copier.Restart(piece_.get());
    return copier.Begin(&writeError_);
  }
  int64_t bytesRead_ = 0, bytesWritten_ = 0;
};

Napi::Value FilterJob::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (started_ || !source_) {
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
