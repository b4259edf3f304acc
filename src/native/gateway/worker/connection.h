// One client connection on a worker: the TCP socket, its place at the front door (a Ticket:
// admitted under the caps, counted before login until it shows a session), its TLS session
// (handshake under a deadline), then the front that ALPN chose: HTTP/2 (h2) or HTTP/1.1
// (anything else). The connection owns the front; the front owns the streams and flows.
//
// The connection also keeps what its requests may hold before login and the deadline of a
// connection waiting for a request (issue #8): over HTTP/1.1 always (outside a CONNECT
// tunnel), over HTTP/2 until it has logged in (liveness PINGs watch it after that).
//
// Lifetime: Close() ends the front's flows, closes the socket, gives back the connection's
// place, and deletes the object at the end of the loop turn (callbacks of this turn may still
// hold it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "../admission/front_door.h"
#include "loop.h"
#include "tls.h"

namespace passerelle::gateway {

class Worker;

class Front {
 public:
  virtual ~Front() = default;
  virtual void OnReadable() = 0;
  virtual void OnWritable() = 0;
  // Called once per loop turn after MarkDirty(): send what the turn produced.
  virtual void Flush() = 0;
  // The connection is going away: end every stream and flow, cancel every upcall.
  virtual void OnConnectionClosing() = 0;
  // The connection waited for a request longer than the deadline: say so (HTTP/1.1: 408) and
  // end it.
  virtual void OnWaitTimeout() = 0;
};

class Connection : public core::IoHandler {
 public:
  enum class Protocol : uint8_t { kNone, kHttp1, kHttp2 };

  Connection(Worker* worker, int fd, uint32_t source_address, uint64_t id);
  ~Connection() override;

  // Admits the connection at the front door; false (and the socket closed, the refusal
  // counted) when a cap refuses it.
  bool Admit();
  void Start();
  void OnIo(uint32_t events) override;

  // Asks for one Flush() of the front at the end of this loop turn.
  void MarkDirty();
  void FlushIfDirty();
  // Whether EPOLLOUT is wanted (a write was blocked).
  void WantWrite(bool want);
  // Whether EPOLLIN is wanted (off while the front cannot take more bytes).
  void WantRead(bool want);
  // A read that stopped early (a budget, or bytes OpenSSL holds): read again next turn.
  void ResumeReadSoon();
  // Closes now. `reset`: with a TCP RST instead of a FIN (a target's reset passed on).
  void Close(bool reset = false);
  // Ends the connection after a last answer: close_notify and FIN now, what the client still
  // sends is read and dropped (closing with it unread would reset the connection and lose the
  // answer), and the connection is closed when the client closes or after 2 s.
  void EndAfterAnswer();
  // TLS close_notify and the write side shut down (a tunnel's target sent its FIN).
  void ShutdownWrite();
  // Closed by the front door to make room for a newer connection.
  void Evict();

  // The front door: the connection logged in or showed a valid token.
  void MarkAuthenticated();
  bool authenticated() const { return ticket_.authenticated(); }
  // An HTTP/1.1 CONNECT made the connection a tunnel: its bytes are no longer requests.
  void BecameTunnel();

  // Requests (RequestBudget calls these). OpenRequest: false when the connection already has
  // as many requests without a session as it may.
  bool OpenRequest(bool authenticated);
  void RequestFinished(bool authenticated);
  // Since when the connection waits for a request (HTTP/1.1 request deadlines start there).
  uint64_t waiting_since_ms() const { return waiting_since_ms_; }
  // Request bytes held before login on this connection.
  size_t unauthenticated_bytes = 0;

  Worker& worker() { return *worker_; }
  core::TlsConnection& tls() { return *tls_; }
  int fd() const { return fd_; }
  uint64_t id() const { return id_; }
  uint32_t source_address() const { return source_address_; }
  const std::string& source_text() const { return source_text_; }
  bool closed() const { return closed_; }
  bool lingering() const { return lingering_; }

 private:
  void ContinueHandshake();
  void OnHandshakeTimeout();
  void WaitForRequest();
  void StopWaiting();
  void OnWaitTimeout();
  void DrainLingering();
  void UpdateInterest();

  Worker* worker_;
  int fd_;
  uint32_t source_address_;
  uint64_t id_;
  std::string source_text_;
  admission::Ticket ticket_;
  core::EventLoop::Watch* watch_ = nullptr;
  // Kept for the connection's life: OpenSSL's ALPN callback points into it, and a reload may
  // replace the worker's context meanwhile.
  std::shared_ptr<core::TlsContext> tls_context_;
  std::unique_ptr<core::TlsConnection> tls_;
  std::unique_ptr<Front> front_;
  Protocol protocol_ = Protocol::kNone;
  core::Timer handshake_timer_;  // also the linger deadline
  core::Timer resume_timer_;
  core::Timer wait_timer_;
  uint64_t waiting_since_ms_ = 0;
  uint32_t requests_ = 0;
  uint32_t unauthenticated_requests_ = 0;
  bool tunnel_ = false;
  bool closed_ = false;
  bool lingering_ = false;
  bool dirty_ = false;
  bool want_write_ = false;
  bool want_read_ = true;
};

// One API request's place in its connection's budgets before login: at most so many
// requests at once, so many bytes held per connection and overall. A request with a valid
// session is not held against them.
class RequestBudget {
 public:
  enum class Take : uint8_t { kOk, kPerConnection, kTotal };

  RequestBudget() = default;
  ~RequestBudget() { Finish(); }
  RequestBudget(const RequestBudget&) = delete;
  RequestBudget& operator=(const RequestBudget&) = delete;

  // False when the connection already holds as many requests before login as it may.
  bool Open(Connection* connection, bool authenticated);
  // `length` more bytes of the request are to be held until it is answered.
  Take TakeBytes(size_t length);
  // Answered, refused or abandoned: its bytes are given back. Safe to call again.
  void Finish();
  bool open() const { return connection_ != nullptr; }

  static const char* Label(Take take);

 private:
  Connection* connection_ = nullptr;
  bool authenticated_ = false;
  size_t held_ = 0;
};

}  // namespace passerelle::gateway
