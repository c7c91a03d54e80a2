#include "bpf.h"

#include "addon.h"
#include "batch.h"
#include "errors.h"

namespace pcapkit {

Napi::Function BpfProgram::Init(Napi::Env env) {
  return DefineClass(env, "BpfProgram",
                     {InstanceMethod("matches", &BpfProgram::Matches),
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
