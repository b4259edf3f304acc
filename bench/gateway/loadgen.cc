// The gateway benchmark's load generator (npm run bench:gateway), native so that it is not
// the limit: nghttp2 over OpenSSL with the project's core (event loop, TLS, transport), one
// thread and one connection to the gateway per `--connections`. Runs in the lab's client
// namespace and prints one JSON line.
//
//   loadgen flows      GATEWAY TARGET SECONDS CONCURRENCY CONNECTIONS USER PASSWORD
//   loadgen throughput GATEWAY TARGET SECONDS CONNECTIONS USER PASSWORD
//   loadgen hold       GATEWAY TARGET COUNT USER PASSWORD      (holds until stdin closes)
//   loadgen direct-flows      TARGET SECONDS CONCURRENCY CONNECTIONS
//   loadgen direct-throughput TARGET SECONDS CONNECTIONS
//
// GATEWAY and TARGET are host:port. flows: CONNECT, a short HTTP request, the answer, both
// sides end (no reset); CONCURRENCY at a time per connection. throughput: one CONNECT per
// connection sending as fast as flow control lets it for SECONDS; the sink answers with the
// byte count it received, which must match. Every loop is bounded in time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "h2_transport.h"
#include "loop.h"
#include "tls.h"

using namespace passerelle::core;

namespace {

struct Address {
  std::string host;
  uint16_t port = 0;
  sockaddr_in sockaddr() const {
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    return a;
  }
  std::string text() const { return host + ":" + std::to_string(port); }
};

Address ParseAddress(const char* text) {
  Address a;
  std::string s(text);
  size_t colon = s.rfind(':');
  a.host = s.substr(0, colon);
  a.port = static_cast<uint16_t>(std::atoi(s.c_str() + colon + 1));
  return a;
}

double Now() { return static_cast<double>(EventLoop::MonotonicNs()) / 1e9; }

double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

constexpr char kRequest[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

// What each stream does; the connection calls these.
class StreamWork {
 public:
  virtual ~StreamWork() = default;
  virtual void OnHeaders(int status) = 0;
  virtual void OnData(const uint8_t* data, size_t length) = 0;
  // The stream closed; `ended`: END_STREAM came (not a reset).
  virtual void OnClose(bool ended, uint32_t error_code) = 0;
  virtual ssize_t Read(uint8_t* buffer, size_t length, uint32_t* flags) {
    (void)buffer;
    (void)length;
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
};

// One TLS + HTTP/2 connection to the gateway on one loop.
class Connection : public IoHandler {
 public:
  Connection(EventLoop* loop, const Address& gateway) : loop_(loop), gateway_(gateway) {}

  ~Connection() override {
    if (session_ != nullptr) nghttp2_session_del(session_);
    if (fd_ >= 0) close(fd_);
  }

  // Connects and shakes hands (blocking: once per connection, before the measurement).
  bool Open(std::string* error) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in to = gateway_.sockaddr();
    if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      *error = std::string("connect: ") + std::strerror(errno);
      return false;
    }
    context_ = TlsContext::Client(error);
    if (!context_) return false;
    tls_ = std::make_unique<TlsConnection>(*context_, fd_, TlsConnection::Role::kClient, "",
                                           nullptr);
    for (;;) {
      TlsStatus status = tls_->Handshake();
      if (status == TlsStatus::kOk) break;
      if (status != TlsStatus::kWantRead && status != TlsStatus::kWantWrite) {
        *error = "TLS: " + tls_->error();
        return false;
      }
    }
    if (tls_->alpn() != "h2") {
      *error = "no h2";
      return false;
    }
    int flags = fcntl(fd_, F_GETFL);
    fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    nghttp2_session_callbacks* callbacks;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeaderCb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnDataCb);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnCloseCb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, OnFrameCb);
    nghttp2_option* option;
    nghttp2_option_new(&option);
    nghttp2_option_set_peer_max_concurrent_streams(option, 100000);
    nghttp2_session_client_new2(&session_, callbacks, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 8 << 20},
                                         {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100000}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 64 << 20);
    transport_ = std::make_unique<H2Transport>(tls_.get(), session_, H2Transport::Options{});
    watch_ = loop_->Add(fd_, EPOLLIN, this);
    loop_->AddTurnEndHook([this] { Flush(); });
    return true;
  }

  int32_t Submit(const std::vector<std::pair<std::string, std::string>>& headers,
                 StreamWork* work, bool with_body) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : headers) nva.push_back(MakeHeader(name, value));
    nghttp2_data_provider provider;
    provider.source.ptr = work;
    provider.read_callback = ReadCb;
    int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                        with_body ? &provider : nullptr, work);
    return id;
  }

  void Resume(int32_t id) { nghttp2_session_resume_data(session_, id); }
  bool failed() const { return failed_; }
  nghttp2_session* session() { return session_; }

  void OnIo(uint32_t events) override {
    if (failed_) return;
    if (events & EPOLLOUT) Flush();
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      if (transport_->Receive() != H2Transport::Result::kOk) Fail();
    }
  }

  void Flush() {
    if (failed_) return;
    if (transport_->Send() != H2Transport::Result::kOk) {
      Fail();
      return;
    }
    bool want = transport_->blocked();
    if (want != want_write_) {
      want_write_ = want;
      loop_->Modify(watch_, want ? EPOLLIN | EPOLLOUT : EPOLLIN);
    }
    if (transport_->more_to_read()) OnIo(EPOLLIN);
  }

 private:
  void Fail() {
    failed_ = true;
    loop_->Remove(watch_);
  }

  static int OnHeaderCb(nghttp2_session* s, const nghttp2_frame* frame, const uint8_t* name,
                        size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    if (namelen == 7 && std::memcmp(name, ":status", 7) == 0) {
      auto* work = static_cast<StreamWork*>(nghttp2_session_get_stream_user_data(s, frame->hd.stream_id));
      if (work) work->OnHeaders(std::atoi(std::string(reinterpret_cast<const char*>(value), valuelen).c_str()));
    }
    return 0;
  }
  static int OnDataCb(nghttp2_session* s, uint8_t, int32_t id, const uint8_t* data, size_t len,
                      void*) {
    auto* work = static_cast<StreamWork*>(nghttp2_session_get_stream_user_data(s, id));
    if (work) work->OnData(data, len);
    return 0;
  }
  static int OnFrameCb(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS)) {
      static_cast<Connection*>(user)->ended_[frame->hd.stream_id] = true;
    }
    return 0;
  }
  static int OnCloseCb(nghttp2_session* s, int32_t id, uint32_t error_code, void* user) {
    auto* c = static_cast<Connection*>(user);
    auto* work = static_cast<StreamWork*>(nghttp2_session_get_stream_user_data(s, id));
    bool ended = c->ended_.erase(id) > 0;
    if (work) work->OnClose(ended, error_code);
    return 0;
  }
  static ssize_t ReadCb(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                        nghttp2_data_source* source, void*) {
    return static_cast<StreamWork*>(source->ptr)->Read(buf, length, flags);
  }

  EventLoop* loop_;
  Address gateway_;
  int fd_ = -1;
  std::unique_ptr<TlsContext> context_;
  std::unique_ptr<TlsConnection> tls_;
  nghttp2_session* session_ = nullptr;
  std::unique_ptr<H2Transport> transport_;
  EventLoop::Watch* watch_ = nullptr;
  bool want_write_ = false;
  bool failed_ = false;
  std::unordered_map<int32_t, bool> ended_;
};

// POST /api/v1/sessions; the token from the answer.
class Login : public StreamWork {
 public:
  Login(const std::string& user, const std::string& password)
      : body_("{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}") {}
  void OnHeaders(int status) override { status_ = status; }
  void OnData(const uint8_t* data, size_t length) override {
    answer_.append(reinterpret_cast<const char*>(data), length);
  }
  void OnClose(bool, uint32_t) override { done_ = true; }
  ssize_t Read(uint8_t* buffer, size_t length, uint32_t* flags) override {
    size_t n = std::min(length, body_.size() - offset_);
    std::memcpy(buffer, body_.data() + offset_, n);
    offset_ += n;
    if (offset_ == body_.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  std::string token() const {
    size_t at = answer_.find("\"token\":\"");
    if (at == std::string::npos) return "";
    at += 9;
    return answer_.substr(at, answer_.find('"', at) - at);
  }
  bool done_ = false;
  int status_ = 0;

 private:
  std::string body_;
  size_t offset_ = 0;
  std::string answer_;
};

std::string LoginToken(const Address& gateway, const std::string& user,
                       const std::string& password, std::string* error) {
  EventLoop loop;
  Connection connection(&loop, gateway);
  if (!connection.Open(error)) return "";
  Login login(user, password);
  connection.Submit({{":method", "POST"}, {":scheme", "https"}, {":authority", "gw"},
                     {":path", "/api/v1/sessions"}, {"content-type", "application/json"}},
                    &login, true);
  double until = Now() + 30;
  while (!login.done_ && !connection.failed() && Now() < until) loop.RunOnce(100);
  if (login.token().empty()) *error = "login failed (status " + std::to_string(login.status_) + ")";
  return login.token();
}

std::vector<std::pair<std::string, std::string>> ConnectHeaders(const Address& target,
                                                                const std::string& token) {
  return {{":method", "CONNECT"}, {":authority", target.text()}, {"authorization", "Bearer " + token}};
}

struct Totals {
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> mismatch{false};
  std::string first_error;
};

// flows: CONCURRENCY short flows at a time on one connection, until the deadline.
class FlowRunner {
 public:
  FlowRunner(Connection* connection, const Address& target, const std::string& token,
             double until, Totals* totals)
      : connection_(connection), headers_(ConnectHeaders(target, token)), until_(until),
        totals_(totals) {}

  class Flow : public StreamWork {
   public:
    explicit Flow(FlowRunner* runner) : runner_(runner) {}
    void OnHeaders(int status) override {
      if (status != 200) {
        ok_ = false;
        return;
      }
      sending_ = true;
      runner_->connection_->Resume(id_);
    }
    void OnData(const uint8_t* data, size_t length) override {
      received_ += length;
      if (length >= 2 && data[length - 2] == 'o' && data[length - 1] == 'k') saw_ok_ = true;
    }
    void OnClose(bool ended, uint32_t) override {
      if (ok_ && ended && saw_ok_) runner_->totals_->done++;
      else runner_->totals_->failed++;
      runner_->Next(this);
    }
    ssize_t Read(uint8_t* buffer, size_t length, uint32_t* flags) override {
      if (!sending_) return NGHTTP2_ERR_DEFERRED;
      size_t n = std::min(length, sizeof kRequest - 1);
      std::memcpy(buffer, kRequest, n);
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    }
    void Start() {
      ok_ = true;
      sending_ = false;
      saw_ok_ = false;
      received_ = 0;
      id_ = runner_->connection_->Submit(runner_->headers_, this, true);
    }
    FlowRunner* runner_;
    int32_t id_ = 0;
    bool ok_ = true;
    bool sending_ = false;
    bool saw_ok_ = false;
    size_t received_ = 0;
  };

  void Start(int concurrency) {
    for (int i = 0; i < concurrency; i++) {
      flows_.push_back(std::make_unique<Flow>(this));
      flows_.back()->Start();
      active_++;
    }
  }
  void Next(Flow* flow) {
    if (Now() < until_ && !connection_->failed()) flow->Start();
    else active_--;
  }
  int active() const { return active_; }

 private:
  Connection* connection_;
  std::vector<std::pair<std::string, std::string>> headers_;
  double until_;
  Totals* totals_;
  std::vector<std::unique_ptr<Flow>> flows_;
  int active_ = 0;
};

// throughput: one CONNECT sending until the deadline, then the sink's count.
class Bulk : public StreamWork {
 public:
  Bulk(double until) : until_(until) { std::memset(pattern_, 0x5a, sizeof pattern_); }
  void OnHeaders(int status) override { ok_ = status == 200; }
  void OnData(const uint8_t* data, size_t length) override {
    answer_.append(reinterpret_cast<const char*>(data), length);
  }
  void OnClose(bool, uint32_t) override { done_ = true; }
  ssize_t Read(uint8_t* buffer, size_t length, uint32_t* flags) override {
    if (Now() >= until_) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    size_t n = std::min(length, sizeof pattern_);
    std::memcpy(buffer, pattern_, n);
    sent_ += n;
    return static_cast<ssize_t>(n);
  }
  uint64_t counted() const {
    if (answer_.size() < 8) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | static_cast<uint8_t>(answer_[i]);
    return v;
  }
  bool ok_ = false;
  bool done_ = false;
  uint64_t sent_ = 0;

 private:
  double until_;
  uint8_t pattern_[16384];
  std::string answer_;
};

void RunThreads(int count, const std::function<void(int)>& body) {
  std::vector<std::thread> threads;
  for (int i = 0; i < count; i++) threads.emplace_back(body, i);
  for (auto& t : threads) t.join();
}

int Flows(const Address& gateway, const Address& target, double seconds, int concurrency,
          int connections, const std::string& token) {
  Totals totals;
  std::atomic<int> open_failures{0};
  double started = Now();
  double cpu = CpuSeconds();
  RunThreads(connections, [&](int) {
    EventLoop loop;
    Connection connection(&loop, gateway);
    std::string error;
    if (!connection.Open(&error)) {
      open_failures++;
      return;
    }
    FlowRunner runner(&connection, target, token, started + seconds, &totals);
    runner.Start(concurrency);
    double hard = started + seconds + 10;
    while (runner.active() > 0 && Now() < hard && !connection.failed()) loop.RunOnce(50);
  });
  double elapsed = Now() - started;
  std::printf("{\"flows\":%llu,\"failed\":%llu,\"seconds\":%.3f,\"perSecond\":%.1f,"
              "\"cpuSeconds\":%.3f,\"connectionFailures\":%d}\n",
              static_cast<unsigned long long>(totals.done.load()),
              static_cast<unsigned long long>(totals.failed.load()), elapsed,
              static_cast<double>(totals.done.load()) / elapsed, CpuSeconds() - cpu,
              open_failures.load());
  return 0;
}

int Throughput(const Address& gateway, const Address& target, double seconds, int connections,
               const std::string& token) {
  Totals totals;
  double started = Now();
  double cpu = CpuSeconds();
  RunThreads(connections, [&](int) {
    EventLoop loop;
    Connection connection(&loop, gateway);
    std::string error;
    if (!connection.Open(&error)) {
      totals.failed++;
      return;
    }
    Bulk bulk(started + seconds);
    connection.Submit(ConnectHeaders(target, token), &bulk, true);
    double hard = started + seconds + 30;
    while (!bulk.done_ && Now() < hard && !connection.failed()) loop.RunOnce(50);
    if (!bulk.ok_ || bulk.counted() != bulk.sent_) totals.mismatch = true;
    totals.bytes += bulk.counted();
  });
  double elapsed = Now() - started;
  std::printf("{\"bytes\":%llu,\"seconds\":%.3f,\"gbitPerSecond\":%.3f,\"cpuSeconds\":%.3f%s}\n",
              static_cast<unsigned long long>(totals.bytes.load()), elapsed,
              static_cast<double>(totals.bytes.load()) * 8 / elapsed / 1e9, CpuSeconds() - cpu,
              totals.mismatch ? ",\"error\":\"the sink counted other bytes than were sent\"" : "");
  return 0;
}

int Hold(const Address& gateway, const Address& target, int count, const std::string& token) {
  EventLoop loop;
  Connection connection(&loop, gateway);
  std::string error;
  if (!connection.Open(&error)) {
    std::printf("{\"error\":\"%s\"}\n", error.c_str());
    return 1;
  }
  struct Held : StreamWork {
    int status = 0;
    bool closed = false;
    void OnHeaders(int s) override { status = s; }
    void OnData(const uint8_t*, size_t) override {}
    void OnClose(bool, uint32_t) override { closed = true; }
    ssize_t Read(uint8_t*, size_t, uint32_t*) override { return NGHTTP2_ERR_DEFERRED; }
  };
  std::vector<std::unique_ptr<Held>> held;
  auto headers = ConnectHeaders(target, token);
  double until = Now() + 120;
  for (int i = 0; i < count && Now() < until; i += 500) {
    size_t first = held.size();
    for (int k = i; k < std::min(count, i + 500); k++) {
      held.push_back(std::make_unique<Held>());
      connection.Submit(headers, held.back().get(), true);
    }
    for (;;) {
      loop.RunOnce(50);
      size_t answered = 0;
      for (size_t k = first; k < held.size(); k++) answered += held[k]->status != 0 || held[k]->closed;
      if (answered == held.size() - first || connection.failed() || Now() > until) break;
    }
  }
  size_t ok = 0;
  for (auto& h : held) ok += h->status == 200 && !h->closed;
  std::printf("{\"held\":%zu,\"failed\":%zu}\n", ok, held.size() - ok);
  std::fflush(stdout);
  // Hold until told to stop (stdin closes), serving PINGs meanwhile.
  int flags = fcntl(0, F_GETFL);
  fcntl(0, F_SETFL, flags | O_NONBLOCK);
  for (;;) {
    loop.RunOnce(200);
    char c;
    ssize_t r = read(0, &c, 1);
    if (r == 0 || (r < 0 && errno != EAGAIN)) break;
  }
  return 0;
}

// Direct (no gateway): plain TCP to the target, for the reference figures.
int DirectFlows(const Address& target, double seconds, int concurrency, int connections) {
  Totals totals;
  double started = Now();
  double cpu = CpuSeconds();
  sockaddr_in to = target.sockaddr();
  RunThreads(connections, [&](int) {
    struct Flow {
      int fd = -1;
      size_t got = 0;
      char buffer[256];
    };
    int epfd = epoll_create1(0);
    std::vector<Flow> flows(static_cast<size_t>(concurrency));
    auto start = [&](Flow& f) {
      f.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      f.got = 0;
      connect(f.fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      epoll_event ev = {};
      ev.events = EPOLLOUT;
      ev.data.ptr = &f;
      epoll_ctl(epfd, EPOLL_CTL_ADD, f.fd, &ev);
    };
    int active = 0;
    for (auto& f : flows) {
      start(f);
      active++;
    }
    double until = started + seconds;
    while (active > 0 && Now() < until + 10) {
      epoll_event events[64];
      int n = epoll_wait(epfd, events, 64, 100);
      for (int i = 0; i < n; i++) {
        Flow& f = *static_cast<Flow*>(events[i].data.ptr);
        if (events[i].events & EPOLLOUT) {
          if (write(f.fd, kRequest, sizeof kRequest - 1) < 0) {
            totals.failed++;
          }
          epoll_event ev = {};
          ev.events = EPOLLIN;
          ev.data.ptr = &f;
          epoll_ctl(epfd, EPOLL_CTL_MOD, f.fd, &ev);
          continue;
        }
        ssize_t r = read(f.fd, f.buffer, sizeof f.buffer);
        if (r > 0) {
          f.got += static_cast<size_t>(r);
          continue;
        }
        if (r < 0 && errno == EAGAIN) continue;
        close(f.fd);
        if (r == 0 && f.got > 0) totals.done++;
        else totals.failed++;
        if (Now() < until) start(f);
        else active--;
      }
    }
    close(epfd);
  });
  double elapsed = Now() - started;
  std::printf("{\"flows\":%llu,\"failed\":%llu,\"seconds\":%.3f,\"perSecond\":%.1f,\"cpuSeconds\":%.3f}\n",
              static_cast<unsigned long long>(totals.done.load()),
              static_cast<unsigned long long>(totals.failed.load()), elapsed,
              static_cast<double>(totals.done.load()) / elapsed, CpuSeconds() - cpu);
  return 0;
}

int DirectThroughput(const Address& target, double seconds, int connections) {
  Totals totals;
  double started = Now();
  double cpu = CpuSeconds();
  sockaddr_in to = target.sockaddr();
  RunThreads(connections, [&](int) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
      totals.mismatch = true;
      return;
    }
    std::vector<uint8_t> chunk(256 * 1024, 0x5a);
    uint64_t sent = 0;
    while (Now() < started + seconds) {
      ssize_t n = write(fd, chunk.data(), chunk.size());
      if (n <= 0) break;
      sent += static_cast<uint64_t>(n);
    }
    shutdown(fd, SHUT_WR);
    uint8_t count[8];
    size_t got = 0;
    while (got < 8) {
      ssize_t n = read(fd, count + got, 8 - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | count[i];
    if (v != sent) totals.mismatch = true;
    totals.bytes += v;
    close(fd);
  });
  double elapsed = Now() - started;
  std::printf("{\"bytes\":%llu,\"seconds\":%.3f,\"gbitPerSecond\":%.3f,\"cpuSeconds\":%.3f%s}\n",
              static_cast<unsigned long long>(totals.bytes.load()), elapsed,
              static_cast<double>(totals.bytes.load()) * 8 / elapsed / 1e9, CpuSeconds() - cpu,
              totals.mismatch ? ",\"error\":\"the sink counted other bytes than were sent\"" : "");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    std::fprintf(stderr, "usage: see bench/gateway/loadgen.cc\n");
    return 64;
  }
  std::string mode = argv[1];
  std::string error;
  if (mode == "direct-flows" && argc == 6) {
    return DirectFlows(ParseAddress(argv[2]), std::atof(argv[3]), std::atoi(argv[4]),
                       std::atoi(argv[5]));
  }
  if (mode == "direct-throughput" && argc == 5) {
    return DirectThroughput(ParseAddress(argv[2]), std::atof(argv[3]), std::atoi(argv[4]));
  }
  Address gateway = ParseAddress(argv[2]);
  if (mode == "flows" && argc == 9) {
    std::string token = LoginToken(gateway, argv[7], argv[8], &error);
    if (token.empty()) {
      std::printf("{\"error\":\"%s\"}\n", error.c_str());
      return 1;
    }
    return Flows(gateway, ParseAddress(argv[3]), std::atof(argv[4]), std::atoi(argv[5]),
                 std::atoi(argv[6]), token);
  }
  if (mode == "throughput" && argc == 8) {
    std::string token = LoginToken(gateway, argv[6], argv[7], &error);
    if (token.empty()) {
      std::printf("{\"error\":\"%s\"}\n", error.c_str());
      return 1;
    }
    return Throughput(gateway, ParseAddress(argv[3]), std::atof(argv[4]), std::atoi(argv[5]),
                      token);
  }
  if (mode == "hold" && argc == 7) {
    std::string token = LoginToken(gateway, argv[5], argv[6], &error);
    if (token.empty()) {
      std::printf("{\"error\":\"%s\"}\n", error.c_str());
      return 1;
    }
    return Hold(gateway, ParseAddress(argv[3]), std::atoi(argv[4]), token);
  }
  std::fprintf(stderr, "usage: see bench/gateway/loadgen.cc\n");
  return 64;
}
