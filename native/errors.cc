#include "errors.h"

#include "addon.h"

namespace pcapkit {

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
