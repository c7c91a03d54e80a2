#include "bpf.h"

#include "addon.h"
#include "batch.h"
#include "errors.h"

namespace pcapkit {

bool CompiledFilter::Compile(int linktype, int snaplen, const std::string& expr,
                             bpf_u_int32 netmask, std::string* error) {
  Reset();
  pcap_t* dead = pcap_open_dead(linktype, snaplen > 0 ? snaplen : 262144);
  if (dead == nullptr) {
    *error = "cannot create a handle to compile the filter";
    return false;
  }
  int rc = pcap_compile(dead, &prog_, expr.c_str(), 1, netmask);
  if (rc != 0) {
    *error = pcap_geterr(dead);
    pcap_close(dead);
    return false;
  }
  pcap_close(dead);
  compiled_ = true;
  return true;
}

bool CompiledFilter::CompileWith(pcap_t* p, const std::string& expr, bpf_u_int32 netmask,
                                 std::string* error) {
  Reset();
  if (pcap_compile(p, &prog_, expr.c_str(), 1, netmask) != 0) {
    *error = pcap_geterr(p);
    return false;
  }
  compiled_ = true;
  return true;
}

void CompiledFilter::Reset() {
  if (compiled_) pcap_freecode(&prog_);
  prog_ = bpf_program{};
  compiled_ = false;
}

Napi::Function BpfProgram::Init(Napi::Env env) {
  return DefineClass(env, "BpfProgram",
                     {InstanceMethod("matches", &BpfProgram::Matches),
                      InstanceMethod("matchBatch", &BpfProgram::MatchBatch),
                      InstanceMethod("instructions", &BpfProgram::Instructions)});
}

BpfProgram::BpfProgram(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfProgram>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString()) {
    ThrowPcapError(env, "EINVAL", "BpfProgram(linktype, snaplen, expression)");
    return;
  }
  std::string error;
  if (!filter_.Compile(info[0].As<Napi::Number>().Int32Value(),
                       info[1].As<Napi::Number>().Int32Value(),
                       info[2].As<Napi::String>().Utf8Value(), PCAP_NETMASK_UNKNOWN, &error)) {
    ThrowPcapError(env, "EFILTER", error);
  }
}

Napi::Value BpfProgram::Matches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    ThrowPcapError(env, "EINVAL", "matches(buffer, wireLength?)");
    return env.Undefined();
  }
  Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
  pcap_pkthdr h{};
  h.caplen = static_cast<bpf_u_int32>(buf.ByteLength());
  h.len = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value()
                                                  : h.caplen;
  if (h.len < h.caplen) h.len = h.caplen;
  return Napi::Boolean::New(env, filter_.Matches(&h, buf.Data()));
}

// matchBatch(arena, hdr, count, out: Uint8Array): out[i] = 1 when packet i passes.
Napi::Value BpfProgram::MatchBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray() || !info[1].IsTypedArray() ||
      !info[2].IsNumber() || !info[3].IsTypedArray()) {
    ThrowPcapError(env, "EINVAL", "matchBatch(arena, headers, count, out)");
    return env.Undefined();
  }
  Napi::Uint8Array arena = info[0].As<Napi::Uint8Array>();
  Napi::Float64Array hdr = info[1].As<Napi::Float64Array>();
  Napi::Uint8Array out = info[3].As<Napi::Uint8Array>();
  size_t count = info[2].As<Napi::Number>().Uint32Value();
  if (count * HDR_STRIDE > hdr.ElementLength() || count > out.ElementLength()) {
    ThrowPcapError(env, "EINVAL", "matchBatch: count exceeds the header table");
    return env.Undefined();
  }
  uint32_t passed = 0;
  for (size_t i = 0; i < count; i++) {
    const double* slot = hdr.Data() + i * HDR_STRIDE;
    size_t off = static_cast<size_t>(slot[H_OFFSET]);
    pcap_pkthdr h{};
    h.caplen = static_cast<bpf_u_int32>(slot[H_CAPLEN]);
    h.len = static_cast<bpf_u_int32>(slot[H_LEN]);
    if (off + h.caplen > arena.ByteLength()) {
      ThrowPcapError(env, "EINVAL", "matchBatch: packet outside the arena");
      return env.Undefined();
    }
    bool ok = filter_.Matches(&h, arena.Data() + off);
    out[i] = ok ? 1 : 0;
    passed += ok;
  }
  return Napi::Number::New(env, passed);
}

// The program as tcpdump -d prints it, one instruction per element.
Napi::Value BpfProgram::Instructions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array arr = Napi::Array::New(env);
  if (filter_.empty()) return arr;
  const bpf_program* p = filter_.program();
  for (u_int i = 0; i < p->bf_len; i++) {
    arr.Set(i, Napi::String::New(env, bpf_image(p->bf_insns + i, static_cast<int>(i))));
  }
  return arr;
}

}  // namespace pcapkit
