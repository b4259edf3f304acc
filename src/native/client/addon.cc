// The client data plane's N-API face (TypeScript: src/native/client.ts). Loaded with
// RTLD_DEEPBIND by src/native/load.ts so that its OpenSSL and nghttp2 calls reach Debian's
// libraries. Everything here runs on the JavaScript thread; the data plane runs on its own.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "bridge.h"
#include "data_plane.h"
#include "library_info.h"
#include "stats.h"
#include "tun_device.h"

namespace passerelle::client {

namespace {

const char* EventTypeName(ClientEvent::Type type) {
  switch (type) {
    case ClientEvent::Type::kLinkUp:
      return "link-up";
    case ClientEvent::Type::kLinkDown:
      return "link-down";
    case ClientEvent::Type::kAuthRequired:
      return "auth-required";
    case ClientEvent::Type::kResponse:
      return "response";
    case ClientEvent::Type::kTunAttached:
      return "tun-attached";
    case ClientEvent::Type::kTunError:
      return "tun-error";
    case ClientEvent::Type::kLog:
      return "log";
  }
  return "unknown";
}

Napi::Value EventToJs(Napi::Env env, const ClientEvent& event) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("type", EventTypeName(event.type));
  switch (event.type) {
    case ClientEvent::Type::kLinkDown:
      object.Set("reason", event.text);
      object.Set("failure", LinkFailureName(event.failure));
      break;
    case ClientEvent::Type::kResponse: {
      object.Set("id", static_cast<double>(event.id));
      object.Set("status", event.status);
      Napi::Object headers = Napi::Object::New(env);
      for (const auto& [name, value] : event.headers) headers.Set(name, value);
      object.Set("headers", headers);
      object.Set("body", Napi::Buffer<char>::Copy(env, event.body.data(), event.body.size()));
      if (!event.text.empty()) object.Set("error", event.text);
      break;
    }
    case ClientEvent::Type::kTunAttached:
      if (!event.text.empty()) object.Set("error", event.text);
      break;
    case ClientEvent::Type::kTunError:
    case ClientEvent::Type::kLog:
      object.Set("message", event.text);
      break;
    default:
      break;
  }
  return object;
}

class BridgeSink final : public EventSink {
 public:
  BridgeSink(Napi::Env env, Napi::Function callback) : bridge_(env, callback, EventToJs) {}
  void Emit(ClientEvent&& event) override { bridge_.Push(std::move(event)); }
  void Flush() override { bridge_.Flush(); }
  void Close() { bridge_.Close(); }

 private:
  core::EventBridge<ClientEvent> bridge_;
};

bool ThrowIf(Napi::Env env, bool condition, const char* message) {
  if (condition) Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return condition;
}

uint32_t NumberField(const Napi::Object& object, const char* name, uint32_t fallback) {
  Napi::Value value = object.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().Uint32Value() : fallback;
}

double DoubleField(const Napi::Object& object, const char* name, double fallback) {
  Napi::Value value = object.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : fallback;
}

std::string StringField(const Napi::Object& object, const char* name) {
  Napi::Value value = object.Get(name);
  return value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
}

class ClientDataPlane final : public Napi::ObjectWrap<ClientDataPlane> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ClientDataPlane",
                       {
                           InstanceMethod<&ClientDataPlane::AttachTun>("attachTun"),
                           InstanceMethod<&ClientDataPlane::Connect>("connect"),
                           InstanceMethod<&ClientDataPlane::Disconnect>("disconnect"),
                           InstanceMethod<&ClientDataPlane::SetToken>("setToken"),
                           InstanceMethod<&ClientDataPlane::RenewalFailed>("renewalFailed"),
                           InstanceMethod<&ClientDataPlane::Request>("request"),
                           InstanceMethod<&ClientDataPlane::SetUdpIdle>("setUdpIdle"),
                           InstanceMethod<&ClientDataPlane::CloseFlows>("closeFlows"),
                           InstanceMethod<&ClientDataPlane::Stats>("stats"),
                           InstanceMethod<&ClientDataPlane::Info>("info"),
                           InstanceMethod<&ClientDataPlane::Close>("close"),
                       });
  }

  // new ClientDataPlane(onEvents(events[], dropped)): the thread and the gateway link; the TUN
  // comes later (attachTun), once the session's addresses are known.
  explicit ClientDataPlane(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ClientDataPlane>(info) {
    Napi::Env env = info.Env();
    if (ThrowIf(env, info.Length() < 1 || !info[0].IsFunction(), "ClientDataPlane(onEvents)")) return;
    sink_ = std::make_unique<BridgeSink>(env, info[0].As<Napi::Function>());
    std::string error;
    plane_ = DataPlane::Create(sink_.get(), &error);
    if (!plane_) {
      sink_->Close();
      sink_.reset();
      Napi::Error::New(env, "the client data plane could not start: " + error).ThrowAsJavaScriptException();
      return;
    }
    plane_->Start();
  }

  // attachTun({tunFd, offloads, address, spareAddress, listeners, udpIdleMs, tunBatch}): the
  // fd is the data plane's from now on. Answered by a "tun-attached" event.
  Napi::Value AttachTun(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Running(env) || ThrowIf(env, info.Length() < 1 || !info[0].IsObject(), "attachTun(options)"))
      return env.Undefined();
    Napi::Object object = info[0].As<Napi::Object>();
    TunOptions options;
    Napi::Value fd = object.Get("tunFd");
    if (ThrowIf(env, !fd.IsNumber(), "options.tunFd must be a file descriptor")) return env.Undefined();
    options.tun_fd = fd.As<Napi::Number>().Int32Value();
    options.offloads = !object.Get("offloads").IsBoolean() || object.Get("offloads").As<Napi::Boolean>().Value();
    options.address = NumberField(object, "address", 0);
    options.spare_address = NumberField(object, "spareAddress", 0);
    options.listeners = NumberField(object, "listeners", 4);
    options.udp_idle_ms = static_cast<uint64_t>(DoubleField(object, "udpIdleMs", 60000));
    options.tun_batch = NumberField(object, "tunBatch", 64);
    if (ThrowIf(env, options.listeners < 1 || options.listeners > 16, "options.listeners: 1 to 16") ||
        ThrowIf(env, options.tun_batch < 1 || options.tun_batch > 4096, "options.tunBatch: 1 to 4096"))
      return env.Undefined();
    plane_->AttachTun(options);
    return env.Undefined();
  }

  ~ClientDataPlane() override { Shutdown(); }

 private:
  void Shutdown() {
    if (plane_) {
      plane_->Stop();
      plane_.reset();
    }
    if (sink_) {
      sink_->Close();
      sink_.reset();
    }
  }

  bool Running(Napi::Env env) {
    if (plane_) return true;
    Napi::Error::New(env, "the client data plane is closed").ThrowAsJavaScriptException();
    return false;
  }

  // connect({address, port, serverName, pin: Buffer(32), authority, streamWindow, ...})
  Napi::Value Connect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Running(env) || ThrowIf(env, info.Length() < 1 || !info[0].IsObject(), "connect(options)"))
      return env.Undefined();
    Napi::Object object = info[0].As<Napi::Object>();
    LinkOptions options;
    options.address = NumberField(object, "address", 0);
    options.port = static_cast<uint16_t>(NumberField(object, "port", 443));
    options.server_name = StringField(object, "serverName");
    options.authority = StringField(object, "authority");
    Napi::Value pin = object.Get("pin");
    if (ThrowIf(env, !pin.IsBuffer() || pin.As<Napi::Buffer<uint8_t>>().Length() != 32,
                "options.pin must be the 32-byte SHA-256 of the verified certificate"))
      return env.Undefined();
    std::memcpy(options.pin, pin.As<Napi::Buffer<uint8_t>>().Data(), 32);
    options.stream_window = NumberField(object, "streamWindow", options.stream_window);
    options.connection_window = NumberField(object, "connectionWindow", options.connection_window);
    options.connect_timeout_ms = static_cast<uint64_t>(DoubleField(object, "connectTimeoutMs", 10000));
    options.keepalive_interval_ms = static_cast<uint64_t>(DoubleField(object, "keepaliveIntervalMs", 2000));
    options.keepalive_timeout_ms = static_cast<uint64_t>(DoubleField(object, "keepaliveTimeoutMs", 5000));
    options.notsent_lowat = static_cast<int>(NumberField(object, "notsentLowat", static_cast<uint32_t>(options.notsent_lowat)));
    options.write_budget = NumberField(object, "writeBudget", static_cast<uint32_t>(options.write_budget));
    options.datagram_queue = NumberField(object, "datagramQueue", static_cast<uint32_t>(options.datagram_queue));
    plane_->Connect(options);
    return env.Undefined();
  }

  Napi::Value Disconnect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Running(env)) return env.Undefined();
    plane_->Disconnect(info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value()
                                                               : "closed by the client");
    return env.Undefined();
  }

  Napi::Value SetToken(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Running(env) || ThrowIf(env, info.Length() < 1 || !info[0].IsString(), "setToken(token)"))
      return env.Undefined();
    plane_->SetToken(info[0].As<Napi::String>().Utf8Value());
    return env.Undefined();
  }

  Napi::Value RenewalFailed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (Running(env)) plane_->RenewalFailed();
    return env.Undefined();
  }

  // request(id, method, path, [[name, value], ...], body: string)
  Napi::Value Request(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Running(env) ||
        ThrowIf(env, info.Length() < 5 || !info[0].IsNumber() || !info[1].IsString() ||
                         !info[2].IsString() || !info[3].IsArray() || !info[4].IsString(),
                "request(id, method, path, headers, body)"))
      return env.Undefined();
    Headers headers;
    Napi::Array list = info[3].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Value pair = list.Get(i);
      if (!pair.IsArray()) continue;
      Napi::Array entry = pair.As<Napi::Array>();
      headers.emplace_back(entry.Get(0u).ToString().Utf8Value(), entry.Get(1u).ToString().Utf8Value());
    }
    plane_->Request(static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()),
                    info[1].As<Napi::String>().Utf8Value(), info[2].As<Napi::String>().Utf8Value(),
                    std::move(headers), info[4].As<Napi::String>().Utf8Value());
    return env.Undefined();
  }

  Napi::Value SetUdpIdle(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (Running(env) && info.Length() > 0 && info[0].IsNumber())
      plane_->SetUdpIdle(static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
    return env.Undefined();
  }

  Napi::Value CloseFlows(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (Running(env)) plane_->CloseFlows();
    return env.Undefined();
  }

  // The shared counters, read without a message to the thread: {name: value}.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object result = Napi::Object::New(env);
    if (!plane_) return result;
    const core::Counters& counters = plane_->counters();
    for (size_t i = 0; i < counters.size(); i++)
      result.Set(counters.name(i), static_cast<double>(counters.Get(i)));
    return result;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object result = Napi::Object::New(env);
    if (!plane_) return result;
    result.Set("tun", plane_->tun_description());
    Napi::Array ports = Napi::Array::New(env);
    const auto& listener_ports = plane_->listener_ports();
    for (uint32_t i = 0; i < listener_ports.size(); i++) ports.Set(i, listener_ports[i]);
    result.Set("listenerPorts", ports);
    return result;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  std::unique_ptr<BridgeSink> sink_;
  std::unique_ptr<DataPlane> plane_;
};

// openTun(name, vnetHeader) → {fd, name}: the privileged step, for whoever holds the privilege.
Napi::Value OpenTunDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (ThrowIf(env, info.Length() < 2 || !info[0].IsString() || !info[1].IsBoolean(),
              "openTun(name, vnetHeader)"))
    return env.Undefined();
  std::string actual;
  std::string message;
  int error = 0;
  const int fd = OpenTun(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Boolean>().Value(),
                         &actual, &error, &message);
  if (fd < 0) {
    Napi::Error failure = Napi::Error::New(env, message);
    failure.Set("errno", Napi::Number::New(env, error));
    failure.Set("code", Napi::String::New(env, error == EPERM    ? "EPERM"
                                               : error == EACCES ? "EACCES"
                                               : error == EBUSY  ? "EBUSY"
                                               : error == EINVAL ? "EINVAL"
                                                                 : "EIO"));
    failure.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", fd);
  result.Set("name", actual);
  return result;
}

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
  exports.Set("openTun", Napi::Function::New(env, OpenTunDevice, "openTun"));
  exports.Set("ClientDataPlane", ClientDataPlane::Define(env));
  return exports;
}

}  // namespace

}  // namespace passerelle::client

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return passerelle::client::Init(env, exports);
}

NODE_API_MODULE(passerelle_client, InitModule)
