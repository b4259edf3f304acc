// The gateway benchmark's intranet servers, native so that they are not the limit (the lab's
// intranet namespace; prints "ready" when all listen):
//   servers HOST THREADS
// - 8050 sink: reads everything; at the client's FIN answers the byte count (8 bytes,
//   big-endian) and closes.
// - 8051 hold: accepts and holds connections until the client closes (memory per flow).
// - 8052 reply: at the first bytes answers a tiny HTTP response and closes (new flows/s).
// THREADS event loops, each with its own listening sockets (SO_REUSEPORT).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

constexpr uint16_t kSink = 8050, kHold = 8051, kReply = 8052;
constexpr char kAnswer[] = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

struct Conn {
  int fd;
  uint16_t kind;
  uint64_t bytes;
};

int Listen(const char* host, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in at = {};
  at.sin_family = AF_INET;
  at.sin_port = htons(port);
  inet_pton(AF_INET, host, &at.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || listen(fd, 4096) != 0) {
    std::perror("listen");
    std::exit(1);
  }
  return fd;
}

void Serve(const char* host) {
  int epfd = epoll_create1(0);
  uint16_t ports[] = {kSink, kHold, kReply};
  for (uint16_t port : ports) {
    auto* listener = new Conn{Listen(host, port), static_cast<uint16_t>(port + 1000), 0};
    epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.ptr = listener;
    epoll_ctl(epfd, EPOLL_CTL_ADD, listener->fd, &ev);
  }
  std::vector<uint8_t> buffer(256 * 1024);
  for (;;) {
    epoll_event events[128];
    int n = epoll_wait(epfd, events, 128, -1);
    for (int i = 0; i < n; i++) {
      auto* c = static_cast<Conn*>(events[i].data.ptr);
      if (c->kind > 9000) {  // a listener: port + 1000
        for (int k = 0; k < 64; k++) {
          int fd = accept4(c->fd, nullptr, nullptr, SOCK_NONBLOCK);
          if (fd < 0) break;
          int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          auto* conn = new Conn{fd, static_cast<uint16_t>(c->kind - 1000), 0};
          epoll_event ev = {};
          ev.events = EPOLLIN;
          ev.data.ptr = conn;
          epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      for (;;) {
        ssize_t got = read(c->fd, buffer.data(), buffer.size());
        if (got > 0) {
          c->bytes += static_cast<uint64_t>(got);
          if (c->kind == kReply) {
            [[maybe_unused]] ssize_t w = write(c->fd, kAnswer, sizeof kAnswer - 1);
            close(c->fd);
            delete c;
            break;
          }
          continue;
        }
        if (got < 0 && errno == EAGAIN) break;
        if (got == 0 && c->kind == kSink) {
          uint8_t count[8];
          for (int b = 0; b < 8; b++) count[b] = static_cast<uint8_t>(c->bytes >> (56 - 8 * b));
          [[maybe_unused]] ssize_t w = write(c->fd, count, 8);
        }
        close(c->fd);
        delete c;
        break;
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  const char* host = argc > 1 ? argv[1] : "127.0.0.1";
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  std::vector<std::thread> loops;
  for (int i = 0; i < threads; i++) loops.emplace_back(Serve, host);
  std::printf("ready\n");
  std::fflush(stdout);
  for (auto& t : loops) t.join();
  return 0;
}
