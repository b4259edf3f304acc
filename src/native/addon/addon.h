// Shared declarations of the Passerelle native addon.
#pragma once

#include <napi.h>

namespace passerelle {

// Per-environment state: each Node environment (main thread, worker, Electron
// renderer) that loads the addon gets its own constructors and error class, so
// nothing here is a process-wide global.
struct AddonData {
  // The wrapper's NativeError class, registered by setErrorClass(); native
  // failures are thrown as instances of it so callers can test `instanceof`.
  Napi::FunctionReference error_class;
  Napi::FunctionReference tun_class;
  Napi::FunctionReference icmp_class;
};

// Each backend adds its exports (openTun, openIcmpEchoSocket) to `exports`.
// On platforms without a backend, unsupported.cc provides throwing stubs.
void InitTun(Napi::Env env, Napi::Object exports, AddonData* data);
void InitIcmp(Napi::Env env, Napi::Object exports, AddonData* data);

}  // namespace passerelle
