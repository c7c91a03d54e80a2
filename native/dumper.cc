#include "dumper.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio_ext.h>

#include <cerrno>
#include <cstring>

#include "addon.h"
#include "batch.h"
#include "errors.h"

namespace pcapkit {

namespace {

void SetErrno(DumpTarget* t, const std::string& path, int err) {
  t->code = CodeForErrno(err);
  t->message = path + ": " + std::strerror(err);
}

// libpcap's dumper messages name the stream "stream: "; name the file instead.
std::string DumperMessage(pcap_t* source, const std::string& path) {
  std::string msg = pcap_geterr(source);
  if (msg.rfind("stream: ", 0) == 0) msg.erase(0, 8);
  return path + ": " + msg;
}

// libpcap refuses some link types in savefiles ("link-layer type N isn't supported in
// savefiles"), but only once it holds the open stream, after `path` was created or truncated.
// Ask it first on a stream to /dev/null, so such a refusal leaves `path` untouched.
bool LinktypeWritable(pcap_t* source, const std::string& path, DumpTarget* t) {
  FILE* probe = std::fopen("/dev/null", "wb");
  if (probe == nullptr) return true;  // cannot tell here: the real open will report it
  pcap_dumper_t* d = pcap_dump_fopen(source, probe);
  if (d != nullptr) {
    pcap_dump_close(d);
    return true;
  }
  std::fclose(probe);
  t->code = "EINVAL";
  t->message = DumperMessage(source, path);
  return false;
}

}  // namespace

DumpTarget OpenDumpTarget(pcap_t* source, const std::string& path, bool append) {
  DumpTarget t;
  if (!LinktypeWritable(source, path, &t)) return t;
  if (append && path != "-") {
    // Create a missing file with 0600 ourselves; libpcap would create it 0666 & ~umask.
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      close(fd);
    } else if (errno != EEXIST) {
      SetErrno(&t, path, errno);
      return t;
    }
    t.dumper = pcap_dump_open_append(source, path.c_str());
    if (t.dumper == nullptr) {
      t.message = pcap_geterr(source);
      t.code = t.message.find("No such file") != std::string::npos ? "ENOENT"
               : t.message.find("ermission") != std::string::npos ? "EPERM"
                                                                   : "EFORMAT";
      return t;
    }
    // (No setvbuf here: libpcap has already read and seeked this stream.)
    __fsetlocking(pcap_dump_file(t.dumper), FSETLOCKING_BYCALLER);
    return t;
  }
  int fd = path == "-" ? dup(STDOUT_FILENO)
                       : open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    SetErrno(&t, path, errno);
    return t;
  }
  FILE* f = fdopen(fd, "wb");
  if (f == nullptr) {
    SetErrno(&t, path, errno);
    close(fd);
    return t;
  }
  setvbuf(f, nullptr, _IOFBF, 1 << 20);
  // Node is multi-threaded, so glibc would lock the stream on every fwrite (two per packet);
  // one thread at a time uses a dumper, so the locking is pure cost.
  __fsetlocking(f, FSETLOCKING_BYCALLER);
  t.dumper = pcap_dump_fopen(source, f);
  if (t.dumper == nullptr) {
    t.code = "EIO";
    t.message = DumperMessage(source, path);
    fclose(f);
  }
  return t;
}

bool DumperHealthy(pcap_dumper_t* d, std::string* code, std::string* message) {
  FILE* f = pcap_dump_file(d);
  if (f != nullptr && ferror(f)) {
    int err = errno != 0 ? errno : EIO;
    *code = CodeForErrno(err);
    *message = std::string("write failed: ") + std::strerror(err);
    return false;
  }
  return true;
}

Napi::Function Dumper::Init(Napi::Env env) {
  return DefineClass(env, "Dumper",
                     {InstanceMethod("write", &Dumper::Write),
                      InstanceMethod("flush", &Dumper::Flush),
                      InstanceMethod("position", &Dumper::Position),
                      InstanceMethod("close", &Dumper::Close)});
}

// new Dumper(path, linktype, snaplen, precision: 'micro'|'nano', append: boolean)
Dumper::Dumper(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Dumper>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber() ||
      !info[3].IsString() || !info[4].IsBoolean()) {
    ThrowPcapError(env, "EINVAL", "Dumper(path, linktype, snaplen, precision, append)");
    return;
  }
  path_ = info[0].As<Napi::String>().Utf8Value();
  int linktype = info[1].As<Napi::Number>().Int32Value();
  int snaplen = info[2].As<Napi::Number>().Int32Value();
  nano_ = info[3].As<Napi::String>().Utf8Value() == "nano";
  bool append = info[4].As<Napi::Boolean>().Value();
  dead_ = pcap_open_dead_with_tstamp_precision(
      linktype, snaplen, nano_ ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
  if (dead_ == nullptr) {
    ThrowPcapError(env, "EINVAL", "cannot create a dumper for this link type");
    return;
  }
  DumpTarget t = OpenDumpTarget(dead_, path_, append);
  if (t.dumper == nullptr) {
    pcap_close(dead_);
    dead_ = nullptr;
    ThrowPcapError(env, t.code, t.message);
    return;
  }
  dumper_ = t.dumper;
}

Dumper::~Dumper() { Release(); }

void Dumper::Release() {
  if (dumper_ != nullptr) {
    pcap_dump_close(dumper_);
    dumper_ = nullptr;
  }
  if (dead_ != nullptr) {
    pcap_close(dead_);
    dead_ = nullptr;
  }
}

// write(arena, headers, count) -> file position after the write
Napi::Value Dumper::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (dumper_ == nullptr) {
    ThrowPcapError(env, "ECLOSED", "the writer is closed");
    return env.Undefined();
  }
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() ||
      !info[2].IsNumber()) {
    ThrowPcapError(env, "EINVAL", "write(arena, headers, count)");
    return env.Undefined();
  }
  Napi::Uint8Array arena = info[0].As<Napi::Uint8Array>();
  Napi::Float64Array hdr = info[1].As<Napi::Float64Array>();
  size_t count = info[2].As<Napi::Number>().Uint32Value();
  if (count * HDR_STRIDE > hdr.ElementLength()) {
    ThrowPcapError(env, "EINVAL", "write: count exceeds the header table");
    return env.Undefined();
  }
  const double* slots = hdr.Data();
  const uint8_t* base = arena.Data();
  const size_t arenaLen = arena.ByteLength();
  errno = 0;
  for (size_t i = 0; i < count; i++) {
    const double* s = slots + i * HDR_STRIDE;
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(s[H_TS_SEC]);
    uint64_t nsec = static_cast<uint64_t>(s[H_TS_NSEC]);
    h.ts.tv_usec = static_cast<suseconds_t>(nano_ ? nsec : nsec / 1000);
    h.caplen = static_cast<bpf_u_int32>(s[H_CAPLEN]);
    h.len = static_cast<bpf_u_int32>(s[H_LEN]);
    size_t off = static_cast<size_t>(s[H_OFFSET]);
    if (off + h.caplen > arenaLen) {
      ThrowPcapError(env, "EINVAL", "write: packet outside the arena");
      return env.Undefined();
    }
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, base + off);
  }
  std::string code, message;
  if (!DumperHealthy(dumper_, &code, &message)) {
    ThrowPcapError(env, code, path_ + ": " + message);
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(pcap_dump_ftell64(dumper_)));
}

Napi::Value Dumper::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (dumper_ == nullptr) {
    ThrowPcapError(env, "ECLOSED", "the writer is closed");
    return env.Undefined();
  }
  errno = 0;
  if (pcap_dump_flush(dumper_) != 0) {
    int err = errno != 0 ? errno : EIO;
    ThrowPcapError(env, CodeForErrno(err), path_ + ": flush failed: " + std::strerror(err));
  }
  return env.Undefined();
}

Napi::Value Dumper::Position(const Napi::CallbackInfo& info) {
  if (dumper_ == nullptr) return Napi::Number::New(info.Env(), -1);
  return Napi::Number::New(info.Env(), static_cast<double>(pcap_dump_ftell64(dumper_)));
}

// close(): flushes, reports a failed flush as an error, and releases the file either way.
Napi::Value Dumper::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (dumper_ == nullptr) return env.Undefined();
  errno = 0;
  int rc = pcap_dump_flush(dumper_);
  int err = errno != 0 ? errno : EIO;
  std::string code, message;
  bool healthy = DumperHealthy(dumper_, &code, &message);
  FILE* f = pcap_dump_file(dumper_);
  int syncRc = 0;
  if (rc == 0 && healthy && f != nullptr) {
    // Surface a late error (NFS, quotas) that only close would report.
    syncRc = fflush(f);
  }
  Release();
  if (rc != 0) {
    ThrowPcapError(env, CodeForErrno(err), path_ + ": flush failed: " + std::strerror(err));
  } else if (!healthy) {
    ThrowPcapError(env, code, path_ + ": " + message);
  } else if (syncRc != 0) {
    ThrowPcapError(env, "EIO", path_ + ": flush failed");
  }
  return env.Undefined();
}

}  // namespace pcapkit
