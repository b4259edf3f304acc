// How native failures reach JavaScript: as NativeError instances carrying the
// errno name (`code`, e.g. "EPERM"), the failing system call, and a message
// written for the person who has to fix it.
#pragma once

#include <napi.h>

#include <string>

namespace passerelle {

// Sets a pending NativeError on `env`. `err` is a positive errno value.
void ThrowSystemError(Napi::Env env, int err, const char* syscall, const std::string& message);

// Same, with a message built from the errno text: "<what>: <strerror>".
void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& what);

// A NativeError for a condition without an errno (e.g. "not supported here").
void ThrowNativeError(Napi::Env env, const char* code, const char* syscall,
                      const std::string& message);

// A NativeError object, not thrown: for errors delivered to callbacks.
Napi::Value MakeSystemError(Napi::Env env, int err, const char* syscall,
                            const std::string& message);

// Invokes a JS listener from a libuv callback (no JS on the stack). Uses
// MakeCallback so that async hooks see the call and process.nextTick/promise
// queues are drained afterwards, like any Node I/O callback. An exception thrown
// by the listener is raised as an uncaught exception instead of being lost.
void CallListener(Napi::Env env, const Napi::FunctionReference& listener, Napi::Object recv,
                  const std::initializer_list<napi_value>& args,
                  const Napi::AsyncContext& context);

}  // namespace passerelle
