#include "connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../admission/target.h"
#include "../http1/front.h"
#include "../http2/front.h"
#include "worker.h"

namespace passerelle::gateway {

namespace {

std::string AddressText(uint32_t address) {
  char text[16];
  return std::string(text, admission::format_ipv4(address, text));
}

}  // namespace

Connection::Connection(Worker* worker, int fd, uint32_t source_address, uint16_t /*port*/)
    : worker_(worker),
      fd_(fd),
      source_address_(source_address),
      source_text_(AddressText(source_address)),
      handshake_timer_([this] { OnHandshakeTimeout(); }),
      resume_timer_([this] {
        if (!closed_ && front_) front_->OnReadable();
        FlushIfDirty();
      }) {}

Connection::~Connection() = default;

void Connection::Start() {
  const Settings& settings = worker_->settings();
  tls_context_ = settings.tls;
  tls_ = std::make_unique<core::TlsConnection>(*tls_context_, fd_,
                                               core::TlsConnection::Role::kServer, "", nullptr);
  worker_->AddConnection(this);
  watch_ = worker_->loop().Add(fd_, EPOLLIN | EPOLLRDHUP, this);
  if (watch_ == nullptr) {
    Close();
    return;
  }
  // A connection that has not finished TLS in time is closed: silent sockets must not pile
  // up (issue #8).
  worker_->loop().Arm(&handshake_timer_, settings.get(control::Limit::kHandshakeTimeoutMs));
  ContinueHandshake();
}

void Connection::OnIo(uint32_t events) {
  if (closed_) return;
  if (!front_) {
    ContinueHandshake();
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) front_->OnReadable();
  if (!closed_ && (events & EPOLLOUT)) front_->OnWritable();
  FlushIfDirty();
}

void Connection::ContinueHandshake() {
  core::TlsStatus status = tls_->Handshake();
  switch (status) {
    case core::TlsStatus::kOk:
      break;
    case core::TlsStatus::kWantRead:
      WantWrite(false);
      return;
    case core::TlsStatus::kWantWrite:
      WantWrite(true);
      return;
    case core::TlsStatus::kClosed:
    case core::TlsStatus::kError:
      worker_->events().Count(control::CounterFamily::kMalformed, "tls-handshake");
      Close();
      return;
  }
  worker_->loop().Disarm(&handshake_timer_);
  WantWrite(false);
  const std::string alpn = tls_->alpn();
  if (alpn == "h2") {
    // Keep what waits in the kernel small, so a new stream's first bytes do not queue behind
    // a bulk flow's (docs/gateway-dataplane.md, "Limits and queues").
    int lowat = 128 * 1024;
    setsockopt(fd_, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
    front_ = MakeHttp2Front(this);
  } else {
    front_ = MakeHttp1Front(this);
  }
  if (!closed_) front_->OnReadable();
  FlushIfDirty();
}

void Connection::OnHandshakeTimeout() {
  if (closed_ || front_) return;
  worker_->events().Count(control::CounterFamily::kMalformed, "tls-handshake-timeout");
  Close();
}

void Connection::MarkDirty() {
  if (dirty_ || closed_) return;
  dirty_ = true;
  worker_->AddDirty(this);
}

void Connection::FlushIfDirty() {
  if (!dirty_ || closed_ || !front_) return;
  dirty_ = false;
  front_->Flush();
}

void Connection::WantWrite(bool want) {
  if (want == want_write_) return;
  want_write_ = want;
  UpdateInterest();
}

void Connection::WantRead(bool want) {
  if (want == want_read_) return;
  want_read_ = want;
  UpdateInterest();
}

void Connection::UpdateInterest() {
  if (watch_ == nullptr || closed_) return;
  uint32_t events = 0;
  if (want_read_) events |= EPOLLIN | EPOLLRDHUP;
  if (want_write_) events |= EPOLLOUT;
  worker_->loop().Modify(watch_, events);
}

void Connection::ResumeReadSoon() {
  if (!closed_ && !resume_timer_.armed()) worker_->loop().Arm(&resume_timer_, 0);
}

void Connection::ShutdownWrite() {
  if (closed_) return;
  tls_->Shutdown();
  ::shutdown(fd_, SHUT_WR);
}

void Connection::Close(bool reset) {
  if (closed_) return;
  closed_ = true;
  core::EventLoop& loop = worker_->loop();
  loop.Disarm(&handshake_timer_);
  loop.Disarm(&resume_timer_);
  if (front_) front_->OnConnectionClosing();
  if (watch_ != nullptr) loop.Remove(watch_);
  watch_ = nullptr;
  if (reset) {
    struct linger abort_on_close = {1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  } else if (tls_ && tls_->handshake_done()) {
    tls_->Shutdown();
  }
  ::close(fd_);
  fd_ = -1;
  worker_->shared().connections.Release(source_address_);
  worker_->RemoveConnection(this);
  loop.Defer([this] { delete this; });
}

}  // namespace passerelle::gateway
