// Module entry: registers the classes and the small stateless functions. Context-aware
// (NODE_API_MODULE with per-environment instance data), so it loads in worker_threads.
#include "addon.h"

#include <pcap/pcap.h>

#include <mutex>

#include "batch.h"
#include "bpf.h"
#include "devices.h"
#include "dumper.h"
#include "errors.h"
#include "filter_file.h"
#include "live.h"
#include "merge_job.h"
#include "offline.h"

namespace pcapkit {

namespace {

std::once_flag g_pcapInit;

void InitLibpcapOnce() {
  std::call_once(g_pcapInit, [] {
#ifdef PCAP_CHAR_ENC_UTF_8
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_init(PCAP_CHAR_ENC_UTF_8, errbuf);
#endif
  });
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "setErrorClass(PcapError)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  GetAddon(env)->pcapErrorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Value LibVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), pcap_lib_version());
}

Napi::Value LinktypeName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return env.Null();
  const char* name = pcap_datalink_val_to_name(info[0].As<Napi::Number>().Int32Value());
  return name ? Napi::String::New(env, name) : env.Null();
}

Napi::Value LinktypeDescription(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return env.Null();
  const char* d = pcap_datalink_val_to_description(info[0].As<Napi::Number>().Int32Value());
  return d ? Napi::String::New(env, d) : env.Null();
}

Napi::Value LinktypeFromName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return env.Null();
  int v = pcap_datalink_name_to_val(info[0].As<Napi::String>().Utf8Value().c_str());
  return v < 0 ? env.Null() : Napi::Number::New(env, v);
}

// The classifier's tables, for test/errors.test.mjs: codeForPcapStatus(status),
// codeForErrno(errno), codeForPcapMessage(message) -> code (the last one null when it is none).
Napi::Value CodeForPcapStatusJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return env.Null();
  return Napi::String::New(env, CodeForPcapStatus(info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value CodeForErrnoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return env.Null();
  return Napi::String::New(env, CodeForErrno(info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value CodeForPcapMessageJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return env.Null();
  const char* code = CodeForPcapMessage(info[0].As<Napi::String>().Utf8Value());
  return code != nullptr ? Napi::Value(Napi::String::New(env, code)) : env.Null();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitLibpcapOnce();
  auto* addon = new Addon();
  env.SetInstanceData<Addon>(addon);
  exports.Set("OfflineHandle", OfflineHandle::Init(env));
  exports.Set("Dumper", Dumper::Init(env));
  exports.Set("BpfProgram", BpfProgram::Init(env));
  exports.Set("FilterJob", FilterJob::Init(env));
  exports.Set("MergeJob", MergeJob::Init(env));
  exports.Set("LiveHandle", LiveHandle::Init(env));
  exports.Set("listDevices", Napi::Function::New(env, ListDevices));
  exports.Set("allocBlock", Napi::Function::New(env, AllocBlock));
  exports.Set("detachBlock", Napi::Function::New(env, DetachBlock));
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass));
  exports.Set("libVersion", Napi::Function::New(env, LibVersion));
  exports.Set("linktypeName", Napi::Function::New(env, LinktypeName));
  exports.Set("linktypeDescription", Napi::Function::New(env, LinktypeDescription));
  exports.Set("linktypeFromName", Napi::Function::New(env, LinktypeFromName));
  exports.Set("codeForPcapStatus", Napi::Function::New(env, CodeForPcapStatusJs));
  exports.Set("codeForErrno", Napi::Function::New(env, CodeForErrnoJs));
  exports.Set("codeForPcapMessage", Napi::Function::New(env, CodeForPcapMessageJs));
  exports.Set("HDR_STRIDE", Napi::Number::New(env, static_cast<int>(HDR_STRIDE)));
  return exports;
}

}  // namespace pcapkit

static Napi::Object InitPcapkit(Napi::Env env, Napi::Object exports) {
  return pcapkit::Init(env, exports);
}

NODE_API_MODULE(pcapkit, InitPcapkit)
