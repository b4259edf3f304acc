// Platforms without a backend yet (macOS utun and Windows wintun are planned
// behind the same interface): the module loads, and its functions throw a
// clear error instead of failing at require() time.
#include <napi.h>

#include "addon.h"
#include "errors.h"

namespace passerelle {

namespace {

Napi::Value NotSupported(const Napi::CallbackInfo& info) {
  ThrowNativeError(info.Env(), "ENOTSUP", "", "not supported on this platform yet");
  return info.Env().Undefined();
}

}  // namespace

void InitTun(Napi::Env env, Napi::Object exports, AddonData* /*data*/) {
  exports.Set("openTun", Napi::Function::New(env, NotSupported, "openTun"));
}

void InitIcmp(Napi::Env env, Napi::Object exports, AddonData* /*data*/) {
  exports.Set("openIcmpEchoSocket", Napi::Function::New(env, NotSupported, "openIcmpEchoSocket"));
}

}  // namespace passerelle
