#include "worker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "../control/control_thread.h"
#include "../flows/icmp_echo.h"
#include "connection.h"

namespace passerelle::gateway {

uint64_t Worker::wall_ms() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000 + static_cast<uint64_t>(now.tv_nsec) / 1000000;
}

namespace {

// Connections accepted per readable event: the rest wait for the next turn, so a connection
// flood cannot keep a worker from its established connections.
constexpr int kAcceptBatch = 64;

}  // namespace

Worker::Worker(uint32_t index, int listen_fd, std::unique_ptr<IcmpEcho> icmp, SharedState* shared,
               ControlThread* control)
    : index_(index),
      listen_fd_(listen_fd),
      icmp_(std::move(icmp)),
      shared_(shared),
      control_(control),
      pool_(256),
      scratch_(new uint8_t[kScratchSize]) {}

Worker::~Worker() {
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void Worker::Start(std::shared_ptr<const Settings> settings) {
  settings_ = std::move(settings);
  thread_ = std::thread([this] { Run(); });
  // Named before seccomp (glibc writes /proc/self/task/<tid>/comm), for top -H and the bench.
  char name[16];
  snprintf(name, sizeof name, "psl-worker-%u", index_);
  pthread_setname_np(thread_.native_handle(), name);
}

void Worker::Run() {
  listen_watch_ = loop_.Add(listen_fd_, EPOLLIN, this);
  if (icmp_) icmp_->Attach(this);
  loop_.AddTurnEndHook([this] { OnTurnEnd(); });
  loop_.Run();
}

void Worker::RequestStop() {
  Post([this] {
    stopping_ = true;
    if (listen_watch_ != nullptr) loop_.Remove(listen_watch_);
    listen_watch_ = nullptr;
    ::close(listen_fd_);
    listen_fd_ = -1;
    while (!connections_.empty()) connections_.begin()->second->Close();
    tables_.Clear();
    if (icmp_) icmp_->Detach();
    // The flows' last events go up with this turn's batch; the loop ends after it.
    loop_.Defer([this] {
      OnTurnEnd();
      control_->WorkerStopped();
      loop_.Stop();
    });
  });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::OnIo(uint32_t /*events*/) { Accept(); }

void Worker::Accept() {
  for (int i = 0; i < kAcceptBatch && !stopping_; i++) {
    struct sockaddr_in peer;
    socklen_t length = sizeof peer;
    int fd = accept4(listen_fd_, reinterpret_cast<struct sockaddr*>(&peer), &length,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // EAGAIN: done. EMFILE/ENFILE: the caps should keep us below the descriptor limit;
      // if not, the connection waits in the backlog rather than spinning here.
      return;
    }
    if (peer.sin_family != AF_INET) {
      ::close(fd);
      continue;
    }
    const uint32_t source = ntohl(peer.sin_addr.s_addr);
    auto* connection = new Connection(this, fd, source, ++next_connection_);
    if (!connection->Admit()) {
      delete connection;  // refused at the front door: closed, counted, never started
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    int idle = 30;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    connection->Start();
  }
}

void Worker::AddConnection(Connection* connection) { connections_[connection->id()] = connection; }

void Worker::RemoveConnection(Connection* connection) { connections_.erase(connection->id()); }

void Worker::Evict(const admission::Eviction& eviction) {
  if (eviction.worker >= shared_->workers.size()) return;
  Worker* owner = shared_->workers[eviction.worker];
  const uint64_t id = eviction.connection;
  auto close = [owner, id] {
    auto it = owner->connections_.find(id);
    if (it != owner->connections_.end()) it->second->Evict();
  };
  // The evicted connection may be this worker's own: closed at the end of this turn, never
  // from inside the accept that chose it.
  owner->Post(close);
}

void Worker::OnTurnEnd() {
  // Flushing may mark others dirty (a stream ended by a flush): run until none is left.
  for (size_t i = 0; i < dirty_.size(); i++) dirty_[i]->FlushIfDirty();
  dirty_.clear();
  if (!events_.empty()) {
    std::vector<uint8_t> records;
    uint32_t count = events_.Take(&records);
    control_->SubmitEvents(count, std::move(records));
  }
}

uint64_t Worker::NextUpcallId() {
  // The worker's index in the top byte: the control thread routes answers by it.
  return (uint64_t{index_} << 56) | (++upcall_counter_ & ((uint64_t{1} << 56) - 1));
}

uint64_t Worker::SendApiRequest(UpcallClient* client, ApiRequest&& request) {
  uint64_t id = NextUpcallId();
  upcalls_[id] = client;
  control_->SubmitApiRequest(id, std::move(request));
  return id;
}

uint64_t Worker::Resolve(UpcallClient* client, const std::string& host) {
  uint64_t id = NextUpcallId();
  upcalls_[id] = client;
  control_->SubmitResolve(id, host);
  return id;
}

void Worker::CancelUpcall(uint64_t id) { upcalls_.erase(id); }

void Worker::DeliverApiResponse(uint64_t id, ApiResponse&& response) {
  auto it = upcalls_.find(id);
  if (it == upcalls_.end()) return;  // the client left meanwhile
  UpcallClient* client = it->second;
  upcalls_.erase(it);
  client->OnApiResponse(std::move(response));
}

void Worker::DeliverResolution(uint64_t id, Resolution&& resolution) {
  auto it = upcalls_.find(id);
  if (it == upcalls_.end()) return;
  UpcallClient* client = it->second;
  upcalls_.erase(it);
  client->OnResolved(std::move(resolution));
}

}  // namespace passerelle::gateway
