#include "connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../admission/target.h"
#include "../http1/front.h"
#include "../http2/front.h"
#include "worker.h"
#include "ipv4_text.h"

namespace passerelle::gateway {

using control::CounterFamily;
using control::Limit;

namespace {

// How long a client may take to read a last answer before its connection is cut.
constexpr uint32_t kLingerMs = 2000;

}  // namespace

Connection::Connection(Worker* worker, int fd, uint32_t source_address, uint64_t id)
    : worker_(worker),
      fd_(fd),
      source_address_(source_address),
      id_(id),
      source_text_(core::Ipv4Text(source_address)),
      ticket_(source_address, worker->index(), id),
      handshake_timer_([this] {
        if (lingering_) Close();
        else OnHandshakeTimeout();
      }),
      resume_timer_([this] {
        if (!closed_ && front_ && !lingering_) front_->OnReadable();
        FlushIfDirty();
      }),
      wait_timer_([this] { OnWaitTimeout(); }) {}

Connection::~Connection() = default;

bool Connection::Admit() {
  const Settings& settings = worker_->settings();
  admission::FrontLimits limits;
  limits.connections = settings.get(Limit::kConnections);
  limits.connections_per_source = settings.get(Limit::kConnectionsPerSource);
  limits.unauthenticated = settings.get(Limit::kUnauthenticatedConnections);
  limits.unauthenticated_per_source = settings.get(Limit::kUnauthenticatedConnectionsPerSource);
  std::vector<admission::Eviction> evicted;
  admission::AdmitRefusal refusal = worker_->shared().admission.Admit(&ticket_, limits, &evicted);
  for (const admission::Eviction& e : evicted) worker_->Evict(e);
  if (refusal != admission::AdmitRefusal::kNone) {
    // Nothing can be said before TLS: the connection is closed at once.
    worker_->events().Count(CounterFamily::kConnectionsRefused,
                            admission::AdmitRefusalLabel(refusal));
    ::close(fd_);
    fd_ = -1;
    closed_ = true;
    return false;
  }
  return true;
}

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
  worker_->loop().Arm(&handshake_timer_, settings.get(Limit::kHandshakeTimeoutMs));
  ContinueHandshake();
}

void Connection::OnIo(uint32_t events) {
  if (closed_) return;
  if (lingering_) {
    DrainLingering();
    return;
  }
  if (!front_) {
    ContinueHandshake();
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) front_->OnReadable();
  if (!closed_ && !lingering_ && (events & EPOLLOUT)) front_->OnWritable();
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
      if (status == core::TlsStatus::kError) {
        worker_->events().Count(CounterFamily::kMalformed, "tls-handshake");
      }
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
    protocol_ = Protocol::kHttp2;
    front_ = MakeHttp2Front(this);
  } else {
    protocol_ = Protocol::kHttp1;
    front_ = MakeHttp1Front(this);
  }
  if (closed_) return;
  WaitForRequest();
  front_->OnReadable();
  FlushIfDirty();
}

void Connection::OnHandshakeTimeout() {
  if (closed_ || front_) return;
  worker_->events().Count(CounterFamily::kConnectionsClosed, "handshake-timeout");
  Close();
}

void Connection::MarkDirty() {
  if (dirty_ || closed_) return;
  dirty_ = true;
  worker_->AddDirty(this);
}

void Connection::FlushIfDirty() {
  if (!dirty_ || closed_ || !front_ || lingering_) return;
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

void Connection::MarkAuthenticated() {
  if (authenticated()) return;
  worker_->shared().admission.Authenticate(&ticket_);
  if (protocol_ == Protocol::kHttp2) StopWaiting();
}

void Connection::BecameTunnel() {
  tunnel_ = true;
  StopWaiting();
}

bool Connection::OpenRequest(bool authenticated) {
  if (!authenticated) {
    if (unauthenticated_requests_ >= worker_->settings().get(Limit::kUnauthenticatedStreams)) {
      return false;
    }
    unauthenticated_requests_++;
  }
  requests_++;
  StopWaiting();
  return true;
}

void Connection::RequestFinished(bool authenticated) {
  if (requests_ > 0) requests_--;
  if (!authenticated && unauthenticated_requests_ > 0) unauthenticated_requests_--;
  WaitForRequest();
}

void Connection::WaitForRequest() {
  StopWaiting();
  if (closed_ || lingering_ || tunnel_ || requests_ > 0 || !front_) return;
  if (protocol_ == Protocol::kHttp2 && authenticated()) return;
  waiting_since_ms_ = worker_->loop().Now();
  worker_->loop().Arm(&wait_timer_, worker_->settings().get(Limit::kRequestTimeoutMs));
}

void Connection::StopWaiting() { worker_->loop().Disarm(&wait_timer_); }

void Connection::OnWaitTimeout() {
  if (closed_ || lingering_ || !front_ || tunnel_ || requests_ > 0) return;
  worker_->events().Count(CounterFamily::kConnectionsClosed, "request-timeout");
  front_->OnWaitTimeout();
}

void Connection::Evict() {
  if (closed_) return;
  worker_->events().Count(CounterFamily::kConnectionsClosed, "evicted");
  Close();
}

void Connection::EndAfterAnswer() {
  if (closed_ || lingering_) return;
  lingering_ = true;
  StopWaiting();
  worker_->loop().Disarm(&resume_timer_);
  if (front_) front_->OnConnectionClosing();
  if (tls_ && tls_->handshake_done()) tls_->Shutdown();
  ::shutdown(fd_, SHUT_WR);
  want_write_ = false;
  want_read_ = true;
  UpdateInterest();
  worker_->loop().Arm(&handshake_timer_, kLingerMs);
}

void Connection::DrainLingering() {
  uint8_t* scratch = worker_->scratch();
  for (int i = 0; i < 16; i++) {
    ssize_t got = recv(fd_, scratch, Worker::kScratchSize, 0);
    if (got > 0) continue;
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Close();  // the client closed (or failed): done
    return;
  }
}

void Connection::Close(bool reset) {
  if (closed_) return;
  closed_ = true;
  core::EventLoop& loop = worker_->loop();
  loop.Disarm(&handshake_timer_);
  loop.Disarm(&resume_timer_);
  loop.Disarm(&wait_timer_);
  if (front_) front_->OnConnectionClosing();
  if (watch_ != nullptr) loop.Remove(watch_);
  watch_ = nullptr;
  if (reset) {
    struct linger abort_on_close = {1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  } else if (tls_ && tls_->handshake_done() && !lingering_) {
    tls_->Shutdown();
  }
  ::close(fd_);
  fd_ = -1;
  worker_->shared().admission.Release(&ticket_);
  worker_->RemoveConnection(this);
  loop.Defer([this] { delete this; });
}

bool RequestBudget::Open(Connection* connection, bool authenticated) {
  if (!connection->OpenRequest(authenticated)) return false;
  connection_ = connection;
  authenticated_ = authenticated;
  held_ = 0;
  return true;
}

RequestBudget::Take RequestBudget::TakeBytes(size_t length) {
  if (connection_ == nullptr || authenticated_) return Take::kOk;
  Worker& worker = connection_->worker();
  const Settings& settings = worker.settings();
  if (connection_->unauthenticated_bytes + length >
      settings.get(Limit::kUnauthenticatedBytesPerConnection)) {
    return Take::kPerConnection;
  }
  std::atomic<int64_t>& total = worker.shared().unauthenticated_bytes;
  int64_t now = total.fetch_add(static_cast<int64_t>(length), std::memory_order_relaxed) +
                static_cast<int64_t>(length);
  if (now > static_cast<int64_t>(settings.get(Limit::kUnauthenticatedBytes))) {
    total.fetch_sub(static_cast<int64_t>(length), std::memory_order_relaxed);
    return Take::kTotal;
  }
  held_ += length;
  connection_->unauthenticated_bytes += length;
  return Take::kOk;
}

void RequestBudget::Finish() {
  if (connection_ == nullptr) return;
  Connection* connection = connection_;
  connection_ = nullptr;
  connection->unauthenticated_bytes -= held_;
  connection->worker().shared().unauthenticated_bytes.fetch_sub(static_cast<int64_t>(held_),
                                                                std::memory_order_relaxed);
  held_ = 0;
  if (!connection->closed()) connection->RequestFinished(authenticated_);
}

const char* RequestBudget::Label(Take take) {
  return take == Take::kTotal ? "unauthenticated-bytes" : "unauthenticated-bytes-per-connection";
}

}  // namespace passerelle::gateway
