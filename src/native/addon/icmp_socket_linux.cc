// ICMP echo socket for the gateway's connect-ip forwarding (DESIGN §2, §4).
//
// Preferred: an unprivileged "ping socket" (SOCK_DGRAM, IPPROTO_ICMP), allowed
// for groups listed in net.ipv4.ping_group_range. The kernel then fills the
// checksum, rewrites the echo identifier to the socket's own, delivers only the
// echo replies addressed to that identifier, and strips the IP header.
//
// Fallback: SOCK_RAW (needs CAP_NET_RAW). We reproduce what the kernel does for
// ping sockets - a random identifier written into every request, the checksum
// computed here, the IP header stripped and foreign replies filtered out - so
// callers see the same behaviour in both modes.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
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

constexpr size_t kIcmpHeader = 8;
constexpr uint8_t kEchoReply = 0;
constexpr uint8_t kEchoRequest = 8;
// Messages handed to JS per readable event; bounds the time spent in one
// callback when replies arrive faster than they are consumed.
constexpr int kBatch = 64;
constexpr size_t kMaxIcmpMessage = 65535 - 20 - 8 + kIcmpHeader;  // 65507 bytes of payload

struct OpenedSocket {
  int fd;
  bool raw;
  uint16_t identifier;
};

// RFC 1071 Internet checksum.
uint16_t InternetChecksum(const uint8_t* data, size_t length) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (length & 1) sum += uint32_t{data[length - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

class IcmpEchoSocket : public Napi::ObjectWrap<IcmpEchoSocket> {
 public:
  static Napi::Function DefineClass(Napi::Env env) {
    return ObjectWrap<IcmpEchoSocket>::DefineClass(
        env, "IcmpEchoSocket",
        {
            InstanceAccessor<&IcmpEchoSocket::GetIdentifier>("identifier"),
            InstanceAccessor<&IcmpEchoSocket::GetRaw>("raw"),
            InstanceMethod<&IcmpEchoSocket::Start>("start"),
            InstanceMethod<&IcmpEchoSocket::Send>("send"),
            InstanceMethod<&IcmpEchoSocket::Close>("close"),
        });
  }

  explicit IcmpEchoSocket(const Napi::CallbackInfo& info) : ObjectWrap<IcmpEchoSocket>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) {
      Napi::TypeError::New(info.Env(), "use openIcmpEchoSocket() to open an ICMP socket")
          .ThrowAsJavaScriptException();
      return;
    }
    OpenedSocket* opened = info[0].As<Napi::External<OpenedSocket>>().Data();
    fd_ = opened->fd;
    raw_ = opened->raw;
    identifier_ = opened->identifier;
    // Raw sockets receive the IP header too (up to 60 bytes) in front of the ICMP message.
    buffer_.resize(65536);
    send_buffer_.reserve(1500);
  }

  ~IcmpEchoSocket() override {
    poller_.Stop();
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  Napi::Value GetIdentifier(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), identifier_);
  }

  Napi::Value GetRaw(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), raw_);
  }

  // start(listener: (sources: string[] | null, messages: Buffer[] | NativeError) => void)
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "start expects a listener function").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) {
      ThrowSystemError(env, EBADF, "recvfrom", "ICMP socket is closed");
      return env.Undefined();
    }
    if (poller_.active()) return env.Undefined();
    listener_ = Napi::Persistent(info[0].As<Napi::Function>());
    async_context_ = std::make_unique<Napi::AsyncContext>(env, "PasserelleIcmpEchoSocket");
    int rc = poller_.Start(env, fd_, this, &IcmpEchoSocket::OnReadable);
    if (rc != 0) {
      listener_.Reset();
      ThrowSystemError(env, -rc, "uv_poll_start",
                       std::string("cannot watch ICMP socket: ") + uv_strerror(rc));
      return env.Undefined();
    }
    Ref();  // keep receiving even if JS holds no reference (like a bound dgram socket)
    return env.Undefined();
  }

  static void OnReadable(void* owner, int status) {
    static_cast<IcmpEchoSocket*>(owner)->ReadBatch(status);
  }

  // Returns the ICMP message inside `data`, or {nullptr, 0} to skip it.
  std::pair<const uint8_t*, size_t> Extract(const uint8_t* data, size_t length) const {
    if (!raw_) {
      if (length < kIcmpHeader) return {nullptr, 0};
      return {data, length};
    }
    if (length < 20 || (data[0] >> 4) != 4) return {nullptr, 0};
    const size_t header = static_cast<size_t>(data[0] & 0x0f) * 4;
    if (header < 20 || length < header + kIcmpHeader) return {nullptr, 0};
    const uint8_t* icmp = data + header;
    // A raw socket sees every ICMP packet for the host: keep only echo replies
    // to our own identifier, which is what a ping socket would deliver.
    if (icmp[0] != kEchoReply) return {nullptr, 0};
    const uint16_t id = static_cast<uint16_t>((icmp[4] << 8) | icmp[5]);
    if (id != identifier_) return {nullptr, 0};
    return {icmp, length - header};
  }

  void ReadBatch(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Object self = Value();

    // As for the TUN device: on a poll error, recvfrom tells the real errno.
    int err = 0;
    const char* syscall = "recvfrom";
    std::vector<napi_value> sources;
    std::vector<napi_value> messages;
    for (int i = 0; i < kBatch; i++) {
      sockaddr_in from;
      socklen_t from_len = sizeof from;
      std::memset(&from, 0, sizeof from);
      ssize_t n = ::recvfrom(fd_, buffer_.data(), buffer_.size(), 0,
                             reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        // Without IP_RECVERR the kernel drops ICMP errors for unconnected
        // sockets, but a pending soft error would still surface here once;
        // reading it clears it, so it is not fatal.
        if (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == ECONNREFUSED ||
            errno == EMSGSIZE || errno == ETIMEDOUT || errno == EPROTO) {
          continue;
        }
        err = errno;
        break;
      }
      auto [icmp, length] = Extract(buffer_.data(), static_cast<size_t>(n));
      if (icmp == nullptr) continue;
      char address[INET_ADDRSTRLEN] = "";
      ::inet_ntop(AF_INET, &from.sin_addr, address, sizeof address);
      sources.push_back(Napi::String::New(env, address));
      messages.push_back(Napi::Buffer<uint8_t>::Copy(env, icmp, length));
    }

    if (err == 0 && status < 0) {
      err = -status;
      syscall = "uv_poll";
    }

    if (!messages.empty()) {
      // One JS call per readable event; the wrapper fans out per message.
      Napi::Array source_array = Napi::Array::New(env, sources.size());
      Napi::Array message_array = Napi::Array::New(env, messages.size());
      for (size_t i = 0; i < messages.size(); i++) {
        source_array.Set(static_cast<uint32_t>(i), sources[i]);
        message_array.Set(static_cast<uint32_t>(i), messages[i]);
      }
      CallListener(env, listener_, self, {source_array, message_array}, *async_context_);
    }
    if (err != 0 && fd_ >= 0 && poller_.active()) {
      StopPolling();
      Napi::Value error = MakeSystemError(
          env, err, syscall, std::string("reading from ICMP socket failed: ") + std::strerror(err));
      if (!env.IsExceptionPending()) {
        CallListener(env, listener_, self, {env.Null(), error}, *async_context_);
      }
      listener_.Reset();
    }
  }

  // send(destination: string, icmpMessage: Buffer): void
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer()) {
      Napi::TypeError::New(env, "send(destination: string, icmpMessage: Buffer)")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) {
      ThrowSystemError(env, EBADF, "sendto", "ICMP socket is closed");
      return env.Undefined();
    }
    const std::string destination = info[0].As<Napi::String>().Utf8Value();
    sockaddr_in to;
    std::memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    if (::inet_pton(AF_INET, destination.c_str(), &to.sin_addr) != 1) {
      ThrowSystemError(env, EINVAL, "sendto",
                       "invalid IPv4 address \"" + destination + "\" for an ICMP echo request");
      return env.Undefined();
    }
    auto message = info[1].As<Napi::Buffer<uint8_t>>();
    const uint8_t* data = message.Data();
    size_t length = message.Length();
    // Both modes accept only echo requests: ping sockets refuse anything else,
    // and the raw fallback must not become a way around that.
    if (length < kIcmpHeader || length > kMaxIcmpMessage || data[0] != kEchoRequest ||
        data[1] != 0) {
      ThrowSystemError(env, EINVAL, "sendto",
                       "not an ICMP echo request (8-byte header, type 8, code 0, at most 65507 "
                       "bytes)");
      return env.Undefined();
    }
    if (raw_) {
      send_buffer_.assign(data, data + length);
      send_buffer_[4] = static_cast<uint8_t>(identifier_ >> 8);
      send_buffer_[5] = static_cast<uint8_t>(identifier_ & 0xff);
      send_buffer_[2] = 0;
      send_buffer_[3] = 0;
      const uint16_t checksum = InternetChecksum(send_buffer_.data(), length);
      send_buffer_[2] = static_cast<uint8_t>(checksum >> 8);
      send_buffer_[3] = static_cast<uint8_t>(checksum & 0xff);
      data = send_buffer_.data();
    }
    for (;;) {
      ssize_t n = ::sendto(fd_, data, length, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      if (n >= 0) break;
      if (errno == EINTR) continue;
      int err = errno;
      ThrowErrno(env, err, "sendto", "sending an ICMP echo request to " + destination + " failed");
      return env.Undefined();
    }
    return env.Undefined();
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
      ::close(fd_);
      fd_ = -1;
    }
    return info.Env().Undefined();
  }

  int fd_ = -1;
  bool raw_ = false;
  uint16_t identifier_ = 0;
  std::vector<uint8_t> buffer_;
  std::vector<uint8_t> send_buffer_;
  FdPoller poller_;
  Napi::FunctionReference listener_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
};

// A ping socket, with its kernel-assigned identifier. Returns 0 or an errno.
int OpenPingSocket(OpenedSocket* out) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) return errno;
  // Binding to port 0 makes the kernel pick the echo identifier now (it is the
  // socket's "port"), so it can be reported before the first send.
  sockaddr_in local;
  std::memset(&local, 0, sizeof local);
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t local_len = sizeof local;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) < 0) {
    int err = errno;
    ::close(fd);
    return err;
  }
  *out = OpenedSocket{fd, false, ntohs(local.sin_port)};
  return 0;
}

int OpenRawSocket(OpenedSocket* out) {
  int fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) return errno;
  // Let the kernel drop every ICMP type except echo reply before it reaches us
  // (a set bit filters that type out).
  icmp_filter filter;
  filter.data = ~(1u << ICMP_ECHOREPLY);
  if (::setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter) < 0) {
    int err = errno;
    ::close(fd);
    return err;
  }
  // A random identifier makes it unlikely that another raw pinger on the host
  // (which sees our replies, as we see its) uses the same one.
  uint16_t identifier = 0;
  if (::getrandom(&identifier, sizeof identifier, 0) != sizeof identifier) {
    identifier = static_cast<uint16_t>(::getpid() ^ fd);
  }
  *out = OpenedSocket{fd, true, identifier};
  return 0;
}

// openIcmpEchoSocket(): IcmpEchoSocket
Napi::Value OpenIcmpEchoSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OpenedSocket opened{-1, false, 0};
  int ping_err = OpenPingSocket(&opened);
  if (ping_err != 0) {
    int raw_err = OpenRawSocket(&opened);
    if (raw_err != 0) {
      std::string message;
      if (ping_err == EACCES && (raw_err == EPERM || raw_err == EACCES)) {
        message =
            "opening an ICMP echo socket was refused: allow unprivileged ping sockets for this "
            "process's group with `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` (or a "
            "range containing gid " +
            std::to_string(::getgid()) + "), or grant cap_net_raw";
      } else {
        message = std::string("opening an ICMP echo socket failed: ping socket: ") +
                  std::strerror(ping_err) + "; raw socket: " + std::strerror(raw_err);
      }
      ThrowSystemError(env, ping_err, "socket", message);
      return env.Undefined();
    }
  }
  AddonData* data = env.GetInstanceData<AddonData>();
  Napi::Object socket = data->icmp_class.New({Napi::External<OpenedSocket>::New(env, &opened)});
  if (env.IsExceptionPending()) {
    ::close(opened.fd);
    return env.Undefined();
  }
  return socket;
}

}  // namespace

void InitIcmp(Napi::Env env, Napi::Object exports, AddonData* data) {
  data->icmp_class = Napi::Persistent(IcmpEchoSocket::DefineClass(env));
  exports.Set("openIcmpEchoSocket",
              Napi::Function::New(env, OpenIcmpEchoSocket, "openIcmpEchoSocket"));
}

}  // namespace passerelle
