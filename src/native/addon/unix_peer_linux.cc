// Who is at the other end of a Unix stream socket: the kernel's SO_PEERCRED record (pid, uid,
// gid of the process that connected, captured at connect time, so the peer cannot change it by
// exec or setuid afterwards). The privileged helper (src/helper/) decides everything from the
// uid it reads here. Its own module, passerelle_peer.node, so that the privileged process loads
// this one file and not the client's data plane.
#include <napi.h>

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

Napi::Value ThrowErrno(Napi::Env env, int err, const char* code, const std::string& what) {
  Napi::Error error = Napi::Error::New(env, what + ": " + std::strerror(err));
  error.Set("code", Napi::String::New(env, code));
  error.Set("syscall", Napi::String::New(env, "getsockopt"));
  error.Set("errno", Napi::Number::New(env, err));
  napi_throw(env, error.Value());
  return env.Undefined();
}

const char* ErrnoCode(int err) {
  switch (err) {
    case EBADF:
      return "EBADF";
    case ENOTSOCK:
      return "ENOTSOCK";
    case ENOPROTOOPT:
      return "ENOPROTOOPT";
    default:
      return "EIO";
  }
}

// peerCredentials(fd) -> { pid, uid, gid }
Napi::Value PeerCredentials(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "peerCredentials expects a file descriptor")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double value = info[0].As<Napi::Number>().DoubleValue();
  if (!(value >= 0 && value <= 0x7fffffff) || value != static_cast<int>(value)) {
    Napi::RangeError::New(env, "peerCredentials: not a file descriptor number")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = static_cast<int>(value);

  int type = 0;
  socklen_t type_length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0) {
    int err = errno;
    return ThrowErrno(env, err, ErrnoCode(err), "reading the socket type of fd " + std::to_string(fd));
  }
  sockaddr_storage address{};
  socklen_t address_length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_length) != 0) {
    int err = errno;
    return ThrowErrno(env, err, ErrnoCode(err), "reading the address of fd " + std::to_string(fd));
  }
  // SO_PEERCRED also answers on other socket kinds (with meaningless values): refuse them.
  if (address.ss_family != AF_UNIX || type != SOCK_STREAM) {
    return ThrowErrno(env, ENOTSOCK, "ENOTSOCK",
                      "fd " + std::to_string(fd) + " is not a Unix stream socket");
  }

  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    int err = errno;
    return ThrowErrno(env, err, ErrnoCode(err), "SO_PEERCRED on fd " + std::to_string(fd));
  }
  if (length != sizeof credentials || credentials.pid <= 0) {
    // A socket that was never connected reports pid 0 and uid/gid -1.
    return ThrowErrno(env, ENOTCONN, "ENOTCONN",
                      "fd " + std::to_string(fd) + " has no connected peer");
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, credentials.pid));
  result.Set("uid", Napi::Number::New(env, credentials.uid));
  result.Set("gid", Napi::Number::New(env, credentials.gid));
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("peerCredentials", Napi::Function::New(env, PeerCredentials, "peerCredentials"));
  return exports;
}

}  // namespace

NODE_API_MODULE(passerelle_peer, Init)
