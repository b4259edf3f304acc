// The client data plane's N-API face: registration and the functions TypeScript calls
// (src/native/client.ts). Loaded with RTLD_DEEPBIND (src/native/load.ts).
#include <napi.h>

#include "library_info.h"

namespace passerelle::client {

namespace {

// libraries(): which OpenSSL and nghttp2 this addon's calls reach (see core/library_info.h).
Napi::Value Libraries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const core::LibraryInfo libraries = core::DescribeLibraries();
  Napi::Object result = Napi::Object::New(env);
  result.Set("openssl", libraries.openssl_version);
  result.Set("nghttp2", libraries.nghttp2_version);
  Napi::Object bindings = Napi::Object::New(env);
  for (const auto& [function, object] : libraries.bindings) bindings.Set(function, object);
  result.Set("bindings", bindings);
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("libraries", Napi::Function::New(env, Libraries, "libraries"));
  return exports;
}

}  // namespace

}  // namespace passerelle::client

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return passerelle::client::Init(env, exports);
}

NODE_API_MODULE(passerelle_client, InitModule)
