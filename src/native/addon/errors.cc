#include "errors.h"

#include <cstring>

#include <uv.h>

#include "addon.h"

namespace passerelle {

namespace {

const char* ErrnoName(int err) {
  // libuv's error codes are negated errno values on Unix, and its names are the
  // ones Node itself uses for err.code, so both kinds of errors look alike.
  // libuv only names the errors it knows, though; EBADFD (what a TUN fd returns
  // once its interface was deleted) is not one of them.
  const char* name = uv_err_name(-err);
  if (std::strncmp(name, "Unknown", 7) != 0) return name;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* glibc_name = strerrorname_np(err);
  if (glibc_name != nullptr) return glibc_name;
#endif
  return "UNKNOWN";
}

Napi::Value MakeError(Napi::Env env, const char* code, const char* syscall, int err,
                      const std::string& message) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->error_class.IsEmpty()) {
    // new NativeError(message, code, syscall, errno)
    return data->error_class.New({Napi::String::New(env, message), Napi::String::New(env, code),
                                  Napi::String::New(env, syscall), Napi::Number::New(env, err)});
  }
  // Loaded without the wrapper: a plain Error with the same fields.
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("syscall", Napi::String::New(env, syscall));
  error.Set("errno", Napi::Number::New(env, err));
  return error.Value();
}

void Throw(Napi::Env env, Napi::Value error) {
  // Constructing the error may itself have thrown; keep that exception then.
  if (env.IsExceptionPending() || error.IsEmpty()) return;
  napi_throw(env, error);
}

}  // namespace

void ThrowSystemError(Napi::Env env, int err, const char* syscall, const std::string& message) {
  Throw(env, MakeError(env, ErrnoName(err), syscall, err, message));
}

void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& what) {
  ThrowSystemError(env, err, syscall, what + ": " + std::strerror(err));
}

void ThrowNativeError(Napi::Env env, const char* code, const char* syscall,
                      const std::string& message) {
  Throw(env, MakeError(env, code, syscall, 0, message));
}

Napi::Value MakeSystemError(Napi::Env env, int err, const char* syscall,
                            const std::string& message) {
  return MakeError(env, ErrnoName(err), syscall, err, message);
}

void CallListener(Napi::Env env, const Napi::FunctionReference& listener, Napi::Object recv,
                  const std::initializer_list<napi_value>& args,
                  const Napi::AsyncContext& context) {
  listener.MakeCallback(recv, args, context);
  if (env.IsExceptionPending()) {
    // There is no JS caller to hand the exception to: report it the way Node
    // reports an exception thrown in any I/O callback ('uncaughtException').
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());
  }
}

}  // namespace passerelle
