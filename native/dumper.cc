#include "dumper.h"

#include <cstring>

#include "addon.h"
#include "batch.h"
#include "errors.h"
#include "engine/link_context.h"

namespace pcapkit {

Napi::Function Dumper::Init(Napi::Env env) {
  return DefineClass(env, "Dumper",
                     {InstanceMethod("addInterface", &Dumper::AddInterface),
                      InstanceMethod("write", &Dumper::Write),
                      InstanceMethod("flush", &Dumper::Flush),
                      InstanceMethod("position", &Dumper::Position),
                      InstanceMethod("packets", &Dumper::Packets),
                      InstanceMethod("close", &Dumper::Close)});
}

// new Dumper(path, { format: 'pcap'|'pcapng', linktype, snaplen, precision, append, comment })
// (linktype is a DLT value, as everywhere in JS).
Dumper::Dumper(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Dumper>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
    ThrowPcapError(env, "EINVAL", "Dumper(path, options)");
    return;
  }
  path_ = info[0].As<Napi::String>().Utf8Value();
  Napi::Object o = info[1].As<Napi::Object>();
  auto str = [&](const char* k) {
    Napi::Value v = o.Get(k);
    return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  };
  pcapng_ = str("format") == "pcapng";
  bool nano = str("precision") != "micro";
  bool append = o.Get("append").ToBoolean().Value();
  int dlt = o.Get("linktype").IsNumber() ? o.Get("linktype").As<Napi::Number>().Int32Value() : 1;
  uint32_t snaplen =
      o.Get("snaplen").IsNumber() ? o.Get("snaplen").As<Napi::Number>().Uint32Value() : 262144;
  std::vector<uint8_t> header;
  std::string why;
  // Ask libpcap for the header first: a link type it refuses leaves the path untouched.
  if (!pcapng_ && !append && !engine::DeadHeader(dlt, snaplen, nano, &header, &why)) {
    ThrowPcapError(env, "EINVAL", path_ + ": " + why);
    return;
  }
  engine::WriteError e;
  if (!writer_.Open(path_, append, &e)) {
    ThrowPcapError(env, e.code, e.message);
    return;
  }
  if (pcapng_) {
    writer_.BeginPcapng(str("comment"));
  } else if (append) {
    writer_.ContinuePcap(nano);
  } else {
    writer_.BeginPcap(header, nano);
  }
}

bool Dumper::ThrowIfFailed(Napi::Env env, const engine::WriteError& e) {
  ThrowPcapError(env, e.code.empty() ? "EIO" : e.code, e.message);
  return true;
}

// addInterface({ linktype (DLT), snaplen, name, description, tsresol, tsoffset }) -> index
Napi::Value Dumper::AddInterface(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!pcapng_ || !writer_.open() || info.Length() < 1 || !info[0].IsObject()) {
    ThrowPcapError(env, "EINVAL", "addInterface: pcapng writers only, with an interface object");
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  engine::InterfaceDesc d;
  int dlt = o.Get("linktype").IsNumber() ? o.Get("linktype").As<Napi::Number>().Int32Value() : 1;
  int64_t lt = engine::LinktypeForDlt(dlt);
  if (lt < 0 || lt > 0xffff) {
    ThrowPcapError(env, "EINVAL", "link type " + std::to_string(dlt) + " cannot be written to pcapng");
    return env.Undefined();
  }
  d.linktype = static_cast<uint32_t>(lt);
  if (o.Get("snaplen").IsNumber()) d.snaplen = o.Get("snaplen").As<Napi::Number>().Uint32Value();
  if (o.Get("name").IsString()) d.name = o.Get("name").As<Napi::String>().Utf8Value();
  if (o.Get("description").IsString()) d.description = o.Get("description").As<Napi::String>().Utf8Value();
  if (o.Get("tsresol").IsNumber()) d.tsresol = static_cast<uint8_t>(o.Get("tsresol").As<Napi::Number>().Uint32Value());
  if (o.Get("tsoffset").IsNumber()) d.tsoffset = o.Get("tsoffset").As<Napi::Number>().Int64Value();
  engine::WriteError e;
  int64_t index = writer_.AddInterface(d, &e);
  if (index < 0) {
    ThrowPcapError(env, e.code, e.message);
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(index));
}

// write(arena, headers, count, interfaces?: Uint32Array, comments?: [index, string, ...])
// -> file position after the write. pcapng: interfaces[i] is packet i's IDB.
Napi::Value Dumper::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!writer_.open() || writer_.failed()) {
    if (writer_.failed()) ThrowIfFailed(env, writer_.failure());
    else ThrowPcapError(env, "ECLOSED", "the writer is closed");
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
  const uint32_t* ifaces = nullptr;
  if (pcapng_) {
    if (info.Length() < 4 || !info[3].IsTypedArray() ||
        info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
        info[3].As<Napi::Uint32Array>().ElementLength() < count) {
      ThrowPcapError(env, "EINVAL", "write: pcapng needs each packet's interface");
      return env.Undefined();
    }
    ifaces = info[3].As<Napi::Uint32Array>().Data();
  }
  // Comments as [index, string, ...], rare: looked up in order.
  Napi::Array comments;
  uint32_t nextComment = 0, commentCount = 0;
  if (info.Length() > 4 && info[4].IsArray()) {
    comments = info[4].As<Napi::Array>();
    commentCount = comments.Length();
  }
  const double* slots = hdr.Data();
  const uint8_t* base = arena.Data();
  const size_t arenaLen = arena.ByteLength();
  engine::WriteError e;
  for (size_t i = 0; i < count; i++) {
    const double* s = slots + i * HDR_STRIDE;
    double secD = s[H_TS_SEC], nsecD = s[H_TS_NSEC];
    uint32_t caplen = static_cast<uint32_t>(s[H_CAPLEN]);
    uint32_t len = static_cast<uint32_t>(s[H_LEN]);
    size_t off = static_cast<size_t>(s[H_OFFSET]);
    if (off + caplen > arenaLen) {
      ThrowPcapError(env, "EINVAL", "write: packet outside the arena");
      return env.Undefined();
    }
    // Checked before any cast: a double outside int64 or a fraction outside [0, 1e9) is no time.
    if (!(secD >= -9.2e18 && secD <= 9.2e18) || !(nsecD >= 0 && nsecD < 1e9)) {
      ThrowPcapError(env, "EINVAL", path_ + ": invalid timestamp in packet " + std::to_string(i));
      return env.Undefined();
    }
    int64_t sec = static_cast<int64_t>(secD);
    uint32_t nsec = static_cast<uint32_t>(nsecD);
    bool ok;
    if (pcapng_) {
      std::string comment;
      if (nextComment + 1 < commentCount &&
          comments.Get(nextComment).As<Napi::Number>().Uint32Value() == i) {
        comment = comments.Get(nextComment + 1).As<Napi::String>().Utf8Value();
        nextComment += 2;
      }
      ok = writer_.WriteEpb(ifaces[i], sec, nsec, caplen, len, base + off,
                            static_cast<uint32_t>(s[H_FLAGS]),
                            reinterpret_cast<const uint8_t*>(comment.data()),
                            static_cast<uint32_t>(comment.size()), &e);
    } else {
      ok = writer_.WritePcapTime(sec, nsec, caplen, len, base + off, &e);
    }
    if (!ok) {
      ThrowPcapError(env, e.code, e.message);
      return env.Undefined();
    }
  }
  return Napi::Number::New(env, static_cast<double>(writer_.position()));
}

Napi::Value Dumper::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!writer_.open()) {
    if (writer_.failed()) ThrowIfFailed(env, writer_.failure());
    else ThrowPcapError(env, "ECLOSED", "the writer is closed");
    return env.Undefined();
  }
  engine::WriteError e;
  if (!writer_.Flush(&e)) ThrowIfFailed(env, e);
  return env.Undefined();
}

Napi::Value Dumper::Position(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(writer_.position()));
}

Napi::Value Dumper::Packets(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(writer_.packets()));
}

// close(): flushes, reports a failed write as an error, and releases the file either way.
Napi::Value Dumper::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  engine::WriteError e;
  if (!writer_.Close(&e)) ThrowIfFailed(env, e);
  return env.Undefined();
}

}  // namespace pcapkit
