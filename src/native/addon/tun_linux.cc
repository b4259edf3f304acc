// Linux TUN device (DESIGN §4): /dev/net/tun with IFF_TUN | IFF_NO_PI, so each
// read() returns exactly one IP packet and each write() injects one, with no
// packet-information prefix. The fd is non-blocking and read in batches from a
// uv_poll handle on the Node event loop; writes are synchronous.
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <napi.h>

#include "addon.h"
#include "errors.h"
#include "fd_poller.h"

namespace passerelle {

namespace {

constexpr uint32_t kMaxBatch = 4096;
constexpr uint32_t kMinReadBuffer = 576;  // the smallest IPv4 datagram every host must accept
constexpr uint32_t kMaxReadBuffer = 1u << 20;

// Handed from openTun() to the class constructor through a napi External, which
// JavaScript cannot forge: the constructor cannot be used to wrap arbitrary fds.
struct OpenedTun {
  int fd;
  std::string name;
  uint32_t batch;
  uint32_t read_buffer_size;
};

// Messages say what to do, not just what failed: the caller is often a user
// starting the VPN client without the needed capability.
std::string OpenErrorMessage(int err, const char* syscall, const std::string& name) {
  const std::string dev = "TUN device " + name;
  if (std::strcmp(syscall, "open") == 0) {
    switch (err) {
      case ENOENT:
      case ENXIO:
      case ENODEV:
        return "opening " + dev +
               " failed: /dev/net/tun is missing (load the kernel module with `modprobe tun`; "
               "in a container, pass the device through)";
      case EACCES:
      case EPERM:
        // CAP_NET_ADMIN does not help here: this is file permission (or a
        // container's device policy). Distributions ship the node as 0666.
        return "opening " + dev +
               " failed: permission denied on /dev/net/tun (it must be readable and writable "
               "by this user, normally mode 0666; in a container, allow the device)";
      default:
        break;
    }
  } else {
    switch (err) {
      case EPERM:
        return "opening " + dev +
               " needs CAP_NET_ADMIN (run as root or grant cap_net_admin, e.g. "
               "`setcap cap_net_admin+ep` on the executable)";
      case EBUSY:
        return "opening " + dev + " failed: the device is already in use by another process";
      case EINVAL:
        return "opening " + dev +
               " failed: the name is invalid or already used by a network device that is not a "
               "TUN device";
      default:
        break;
    }
  }
  return "opening " + dev + " failed: " + std::strerror(err);
}

bool ValidName(const std::string& name) {
  // The kernel's own rule (dev_valid_name): 1..15 bytes, no '/', ':' or
  // whitespace, not "." or "..". Checked here to give a clear message rather
  // than a bare EINVAL.
  if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v' || c == '\0') {
      return false;
    }
  }
  return true;
}

class TunDevice : public Napi::ObjectWrap<TunDevice> {
 public:
  static Napi::Function DefineClass(Napi::Env env) {
    return ObjectWrap<TunDevice>::DefineClass(
        env, "TunDevice",
        {
            InstanceAccessor<&TunDevice::GetName>("name"),
            InstanceMethod<&TunDevice::Start>("start"),
            InstanceMethod<&TunDevice::Write>("write"),
            InstanceMethod<&TunDevice::WriteMany>("writeMany"),
            InstanceMethod<&TunDevice::Close>("close"),
        });
  }

  explicit TunDevice(const Napi::CallbackInfo& info) : ObjectWrap<TunDevice>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) {
      Napi::TypeError::New(info.Env(), "use openTun() to open a TUN device")
          .ThrowAsJavaScriptException();
      return;
    }
    OpenedTun* opened = info[0].As<Napi::External<OpenedTun>>().Data();
    fd_ = opened->fd;
    name_ = opened->name;
    batch_ = opened->batch;
    buffer_.resize(opened->read_buffer_size);
  }

  ~TunDevice() override {
    // Reached when the wrapper was garbage-collected without close(), or at
    // environment teardown: never leak the fd or leave a handle on the loop.
    poller_.Stop();
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  Napi::Value GetName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), name_);
  }

  // start(listener: (packets: Buffer[] | null, error?: NativeError) => void)
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "start expects a listener function").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) {
      ThrowSystemError(env, EBADF, "read", "TUN device " + name_ + " is closed");
      return env.Undefined();
    }
    if (poller_.active()) return env.Undefined();
    listener_ = Napi::Persistent(info[0].As<Napi::Function>());
    async_context_ = std::make_unique<Napi::AsyncContext>(env, "PasserelleTunDevice");
    int rc = poller_.Start(env, fd_, this, &TunDevice::OnReadable);
    if (rc != 0) {
      listener_.Reset();
      ThrowSystemError(env, -rc, "uv_poll_start",
                       "cannot watch TUN device " + name_ + ": " + uv_strerror(rc));
      return env.Undefined();
    }
    // While packets are being delivered the device must stay alive even if
    // JavaScript keeps no reference to it (like a listening socket).
    Ref();
    return env.Undefined();
  }

  static void OnReadable(void* owner, int status) {
    static_cast<TunDevice*>(owner)->ReadBatch(status);
  }

  void ReadBatch(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    // A local handle keeps this object alive even if the listener closes the
    // device (dropping our self-reference) during the call.
    Napi::Object self = Value();

    // libuv reports any poll error as UV_EBADF; the read below gets the real
    // errno (e.g. EBADFD once the interface was deleted) whenever it can.
    int err = 0;
    const char* syscall = "read";
    std::vector<napi_value> packets;
    while (packets.size() < batch_) {
      ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
      if (n > 0) {
        // One copy per packet into its own Buffer: the JS side may keep packets
        // beyond this callback, so they cannot share the reusable read buffer.
        packets.push_back(Napi::Buffer<uint8_t>::Copy(env, buffer_.data(), n));
        continue;
      }
      if (n == 0) break;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    if (err == 0 && status < 0) {
      err = -status;
      syscall = "uv_poll";
    }

    if (!packets.empty()) {
      Napi::Array array = Napi::Array::New(env, packets.size());
      for (size_t i = 0; i < packets.size(); i++) array.Set(static_cast<uint32_t>(i), packets[i]);
      CallListener(env, listener_, self, {array}, *async_context_);
    }
    if (err != 0 && fd_ >= 0 && poller_.active()) {
      // A level-triggered poll on a broken fd (e.g. EBADFD after the interface
      // was deleted) would spin: stop reading and report it once.
      StopPolling();
      std::string message = "reading from TUN device " + name_ + " failed: " +
                            (err == EBADFD ? "the interface was deleted" : std::strerror(err));
      Napi::Value error = MakeSystemError(env, err, syscall, message);
      if (!env.IsExceptionPending()) {
        CallListener(env, listener_, self, {env.Null(), error}, *async_context_);
      }
      listener_.Reset();
    }
  }

  // Returns true if written, false if the kernel queue was full (EAGAIN), and
  // throws for anything else (invalid packet, device gone).
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "write expects a Buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto packet = info[0].As<Napi::Buffer<uint8_t>>();
    int rc = WriteOne(packet.Data(), packet.Length());
    if (rc == 0) return Napi::Boolean::New(env, true);
    if (rc == EAGAIN) return Napi::Boolean::New(env, false);
    ThrowWriteError(env, rc);
    return env.Undefined();
  }

  // Writes packets in order with one crossing into native code. Returns how
  // many were written: fewer than given when the kernel queue filled (EAGAIN),
  // or when a later packet failed (the caller retries the rest with write(),
  // which throws that error). An error on the very first packet throws.
  Napi::Value WriteMany(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) {
      Napi::TypeError::New(env, "writeMany expects an array of Buffers")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Array array = info[0].As<Napi::Array>();
    const uint32_t count = array.Length();
    // Validate everything first so a type error never leaves a partial write.
    std::vector<std::pair<const uint8_t*, size_t>> packets;
    packets.reserve(count);
    for (uint32_t i = 0; i < count; i++) {
      Napi::Value item = array.Get(i);
      if (env.IsExceptionPending()) return env.Undefined();
      if (!item.IsBuffer()) {
        Napi::TypeError::New(env, "writeMany expects an array of Buffers")
            .ThrowAsJavaScriptException();
        return env.Undefined();
      }
      auto buf = item.As<Napi::Buffer<uint8_t>>();
      packets.emplace_back(buf.Data(), buf.Length());
    }
    uint32_t written = 0;
    for (const auto& [data, length] : packets) {
      int rc = WriteOne(data, length);
      if (rc == 0) {
        written++;
        continue;
      }
      if (rc != EAGAIN && written == 0) {
        ThrowWriteError(env, rc);
        return env.Undefined();
      }
      break;
    }
    return Napi::Number::New(env, written);
  }

  // 0, EAGAIN for "queue full, dropped", or another errno.
  int WriteOne(const uint8_t* data, size_t length) {
    if (fd_ < 0) return EBADF;
    for (;;) {
      ssize_t n = ::write(fd_, data, length);
      if (n >= 0) return 0;  // a TUN write is one whole packet or an error
      if (errno == EINTR) continue;
      if (errno == EWOULDBLOCK || errno == ENOBUFS) return EAGAIN;
      return errno;
    }
  }

  void ThrowWriteError(Napi::Env env, int err) {
    std::string message;
    switch (err) {
      case EBADF:
        message = "TUN device " + name_ + " is closed";
        break;
      case EINVAL:
        message = "writing to TUN device " + name_ + " failed: not a valid IP packet";
        break;
      case EIO:
        message = "writing to TUN device " + name_ + " failed: the interface is down";
        break;
      case EBADFD:
        message = "writing to TUN device " + name_ + " failed: the interface was deleted";
        break;
      default:
        message = "writing to TUN device " + name_ + " failed: " + std::strerror(err);
        break;
    }
    ThrowSystemError(env, err, "write", message);
  }

  void StopPolling() {
    if (!poller_.active()) return;
    poller_.Stop();
    Unref();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopPolling();
    listener_.Reset();
    if (fd_ >= 0) {
      // Closing the last fd of a non-persistent TUN device deletes the
      // interface, with its addresses and routes.
      ::close(fd_);
      fd_ = -1;
    }
    return info.Env().Undefined();
  }

  int fd_ = -1;
  std::string name_;
  uint32_t batch_ = 1;
  std::vector<uint8_t> buffer_;
  FdPoller poller_;
  Napi::FunctionReference listener_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
};

// openTun(name: string, batch: number, readBufferSize: number): TunDevice
Napi::Value OpenTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "openTun(name, batch, readBufferSize)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  const int64_t batch = info[1].As<Napi::Number>().Int64Value();
  const int64_t read_buffer_size = info[2].As<Napi::Number>().Int64Value();
  if (!ValidName(name)) {
    ThrowSystemError(env, EINVAL, "ioctl",
                     "invalid TUN device name \"" + name +
                         "\" (1 to 15 characters, no '/', ':' or spaces)");
    return env.Undefined();
  }
  if (batch < 1 || batch > kMaxBatch || read_buffer_size < kMinReadBuffer ||
      read_buffer_size > kMaxReadBuffer) {
    Napi::RangeError::New(env, "openTun: batch or readBufferSize out of range")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }

  int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    ThrowSystemError(env, err, "open", OpenErrorMessage(err, "open", name));
    return env.Undefined();
  }
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());  // ValidName bounds it below IFNAMSIZ
  if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    ::close(fd);
    ThrowSystemError(env, err, "ioctl", OpenErrorMessage(err, "ioctl", name));
    return env.Undefined();
  }
  // The kernel writes back the actual name (it expands templates like "tun%d").
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';
  OpenedTun opened{fd, std::string(ifr.ifr_name), static_cast<uint32_t>(batch),
                   static_cast<uint32_t>(read_buffer_size)};

  AddonData* data = env.GetInstanceData<AddonData>();
  Napi::Object device = data->tun_class.New({Napi::External<OpenedTun>::New(env, &opened)});
  if (env.IsExceptionPending()) {
    ::close(fd);
    return env.Undefined();
  }
  return device;
}

}  // namespace

void InitTun(Napi::Env env, Napi::Object exports, AddonData* data) {
  data->tun_class = Napi::Persistent(TunDevice::DefineClass(env));
  exports.Set("openTun", Napi::Function::New(env, OpenTun, "openTun"));
}

}  // namespace passerelle
