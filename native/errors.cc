#include "errors.h"

#include <pcap/pcap.h>

#include <cerrno>

#include "addon.h"

namespace pcapkit {

const char* CodeForPcapStatus(int status) {
  switch (status) {
    case PCAP_ERROR_BREAK: return "ECLOSED";
    case PCAP_ERROR_NOT_ACTIVATED: return "EINVAL";
    case PCAP_ERROR_ACTIVATED: return "EINVAL";
    case PCAP_ERROR_NO_SUCH_DEVICE: return "ENODEV";
    case PCAP_ERROR_RFMON_NOTSUP: return "ENOTSUP";
    case PCAP_ERROR_NOT_RFMON: return "ENOTSUP";
    case PCAP_ERROR_PERM_DENIED: return "EPERM";
    case PCAP_ERROR_IFACE_NOT_UP: return "ENETDOWN";
    case PCAP_ERROR_CANTSET_TSTAMP_TYPE: return "ENOTSUP";
    case PCAP_ERROR_PROMISC_PERM_DENIED: return "EPERM";
    case PCAP_ERROR_TSTAMP_PRECISION_NOTSUP: return "ENOTSUP";
#ifdef PCAP_ERROR_CAPTURE_NOTSUP
    case PCAP_ERROR_CAPTURE_NOTSUP: return "ENOTSUP";
#endif
    default: return "EPCAP";
  }
}

const char* CodeForErrno(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOENT";
    case EACCES: return "EPERM";
    case EPERM: return "EPERM";
    case EROFS: return "EPERM";
    case EISDIR: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "ENOSPC";
    case EFBIG: return "ENOSPC";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENODEV";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

Napi::Error MakePcapError(Napi::Env env, const std::string& code, const std::string& message,
                          int status) {
  Addon* addon = GetAddon(env);
  if (addon != nullptr && !addon->pcapErrorClass.IsEmpty()) {
    Napi::Object extra = Napi::Object::New(env);
    if (status != 0) extra.Set("status", Napi::Number::New(env, status));
    Napi::Value err = addon->pcapErrorClass.New(
        {Napi::String::New(env, code), Napi::String::New(env, message), extra});
    if (!env.IsExceptionPending() && err.IsObject()) return Napi::Error(env, err);
    if (env.IsExceptionPending()) env.GetAndClearPendingException();
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

void ThrowPcapError(Napi::Env env, const std::string& code, const std::string& message,
                    int status) {
  MakePcapError(env, code, message, status).ThrowAsJavaScriptException();
}

}  // namespace pcapkit
