// Module registration: creates the per-environment state and lets each
// platform backend add its functions.
#include <napi.h>

#include "addon.h"

namespace passerelle {

namespace {

// setErrorClass(NativeError): called once by the TypeScript wrapper so native
// failures are thrown as the wrapper's own class.
Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "setErrorClass expects a constructor").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  env.GetInstanceData<AddonData>()->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  // Freed by node-addon-api's default finalizer when the environment goes away.
  env.SetInstanceData<AddonData>(data);
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  InitTun(env, exports, data);
  InitIcmp(env, exports, data);
  return exports;
}

}  // namespace

}  // namespace passerelle

// NODE_API_MODULE pastes the function name into an identifier: it must be unqualified.
static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return passerelle::Init(env, exports);
}

NODE_API_MODULE(passerelle_native, InitModule)
