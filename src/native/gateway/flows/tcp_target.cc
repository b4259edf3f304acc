#include "tcp_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace passerelle::gateway {

TcpTarget::~TcpTarget() { Close(); }

bool TcpTarget::Connect(uint32_t address, uint16_t port, uint32_t timeout_ms) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(address);
  int rc = connect(fd_, reinterpret_cast<struct sockaddr*>(&to), sizeof to);
  int error = rc == 0 ? 0 : errno;
  if (rc != 0 && error != EINPROGRESS) {
    // Refused at once (e.g. ENETUNREACH): report it from the loop, never from inside Connect.
    deadline_ = std::make_unique<core::Timer>([this, error] { Finish(error); });
    loop_->Arm(deadline_.get(), 0);
    return true;
  }
  watch_ = loop_->Add(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this);
  if (watch_ == nullptr) {
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  deadline_ = std::make_unique<core::Timer>([this] { Finish(ETIMEDOUT); });
  loop_->Arm(deadline_.get(), timeout_ms);
  return true;
}

void TcpTarget::Finish(int error) {
  if (deadline_) {
    loop_->Disarm(deadline_.get());
    // Not freed here: this may be its own callback. Freed with the target or on Close.
  }
  if (error == 0) {
    connected_ = true;
    owner_->OnTargetConnected();
    return;
  }
  Close();
  owner_->OnTargetFailed(error);
}

void TcpTarget::OnIo(uint32_t events) {
  if (fd_ < 0) return;
  if (!connected_) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    // Writable without an error: connected (Linux flags a failed connect with EPOLLERR), and
    // one system call per flow is saved.
    int error = 0;
    if (events & (EPOLLERR | EPOLLHUP)) {
      socklen_t length = sizeof error;
      if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      if (error == 0) error = ECONNREFUSED;
    }
    Finish(error);
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) owner_->OnTargetReadable();
  if (fd_ >= 0 && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) owner_->OnTargetWritable();
}

ssize_t TcpTarget::Read(uint8_t* buffer, size_t length, int* error) {
  if (fd_ < 0) {
    *error = EBADF;
    return -1;
  }
  for (;;) {
    ssize_t got = recv(fd_, buffer, length, 0);
    if (got >= 0) return got;
    if (errno == EINTR) continue;
    *error = errno;
    return -1;
  }
}

ssize_t TcpTarget::Write(const uint8_t* data, size_t length, int* error) {
  if (fd_ < 0) {
    *error = EBADF;
    return -1;
  }
  for (;;) {
    ssize_t sent = send(fd_, data, length, MSG_NOSIGNAL);
    if (sent >= 0) return sent;
    if (errno == EINTR) continue;
    *error = errno;
    return -1;
  }
}

ssize_t TcpTarget::Writev(const struct iovec* iov, int count, int* error) {
  if (fd_ < 0) {
    *error = EBADF;
    return -1;
  }
  struct msghdr message = {};
  message.msg_iov = const_cast<struct iovec*>(iov);
  message.msg_iovlen = static_cast<size_t>(count);
  for (;;) {
    ssize_t sent = sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (sent >= 0) return sent;
    if (errno == EINTR) continue;
    *error = errno;
    return -1;
  }
}

void TcpTarget::ShutdownWrite() {
  if (fd_ >= 0 && connected_) ::shutdown(fd_, SHUT_WR);
}

void TcpTarget::Close() {
  if (deadline_) loop_->Disarm(deadline_.get());
  if (fd_ < 0) return;
  if (watch_ != nullptr) loop_->Remove(watch_);
  watch_ = nullptr;
  ::close(fd_);
  fd_ = -1;
}

void TcpTarget::Reset() {
  if (fd_ >= 0) {
    struct linger abort_on_close = {1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  }
  Close();
}

void MapConnectError(int error, uint16_t* status, control::ProxyError* proxy_error) {
  using control::ProxyError;
  *status = 502;
  switch (error) {
    case ECONNREFUSED:
      *proxy_error = ProxyError::kConnectionRefused;
      break;
    case ECONNRESET:
      *proxy_error = ProxyError::kConnectionTerminated;
      break;
    case EHOSTUNREACH:
    case ENETUNREACH:
      *proxy_error = ProxyError::kDestinationIpUnroutable;
      break;
    case ETIMEDOUT:
      *status = 504;
      *proxy_error = ProxyError::kConnectionTimeout;
      break;
    default:
      *proxy_error = ProxyError::kProxyInternalError;
      break;
  }
}

}  // namespace passerelle::gateway
