// One client connection on a worker: the TCP socket, its TLS session (handshake under a
// deadline), then the front that ALPN chose: HTTP/2 (h2) or HTTP/1.1 (anything else). The
// connection owns the front; the front owns the streams and flows.
//
// Lifetime: Close() ends the front's flows, closes the socket, gives back the connection's
// place under the caps, and deletes the object at the end of the loop turn (callbacks of this
// turn may still hold it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

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
};

class Connection : public core::IoHandler {
 public:
  Connection(Worker* worker, int fd, uint32_t source_address, uint16_t source_port);
  ~Connection() override;

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
  // Whether a TLS close_notify was sent and the write side shut down.
  void ShutdownWrite();

  Worker& worker() { return *worker_; }
  core::TlsConnection& tls() { return *tls_; }
  int fd() const { return fd_; }
  uint32_t source_address() const { return source_address_; }
  const std::string& source_text() const { return source_text_; }
  bool closed() const { return closed_; }

  // The worker's list of connections.
  Connection* prev_ = nullptr;
  Connection* next_ = nullptr;

 private:
  void ContinueHandshake();
  void OnHandshakeTimeout();

  Worker* worker_;
  int fd_;
  uint32_t source_address_;
  std::string source_text_;
  core::EventLoop::Watch* watch_ = nullptr;
  // Kept for the connection's life: OpenSSL's ALPN callback points into it, and a reload may
  // replace the worker's context meanwhile.
  std::shared_ptr<core::TlsContext> tls_context_;
  std::unique_ptr<core::TlsConnection> tls_;
  std::unique_ptr<Front> front_;
  core::Timer handshake_timer_;
  core::Timer resume_timer_;
  bool closed_ = false;
  bool dirty_ = false;
  bool want_write_ = false;
  bool want_read_ = true;

  void UpdateInterest();
};

}  // namespace passerelle::gateway
