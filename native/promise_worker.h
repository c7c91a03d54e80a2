// An AsyncWorker that settles a promise and keeps its JS owner (the handle or job whose
// native state it uses) alive until it has: the base of every pool-thread job here.
#pragma once
#include <napi.h>

namespace pcapkit {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* name, Napi::Object owner)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)) {
    owner_ = Napi::Persistent(owner);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  Napi::Promise::Deferred deferred_;

 private:
  Napi::ObjectReference owner_;
};

}  // namespace pcapkit
