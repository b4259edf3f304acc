// The gateway's own TCP connection to a target (reverse NAT: the target sees the gateway's
// address). Non-blocking connect under a deadline, then reads and writes that say "try again
// later" instead of blocking. Edge-triggered: the owner reads until EAGAIN before it waits for
// the next OnTargetReadable, and writes until EAGAIN before it waits for OnTargetWritable.
//
// Promises: the owner hears exactly one of OnTargetConnected / OnTargetFailed after Connect;
// after Close() or Reset() nothing more is called; the descriptor is closed by Close/Reset or
// the destructor.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>

#include "../control/messages.h"
#include "loop.h"

namespace passerelle::gateway {

class TcpTarget : public core::IoHandler {
 public:
  class Owner {
   public:
    virtual void OnTargetConnected() = 0;
    // `error` is an errno (ETIMEDOUT for the deadline).
    virtual void OnTargetFailed(int error) = 0;
    virtual void OnTargetReadable() = 0;
    virtual void OnTargetWritable() = 0;

   protected:
    ~Owner() = default;
  };

  TcpTarget(core::EventLoop* loop, Owner* owner) : loop_(loop), owner_(owner) {}
  ~TcpTarget() override;
  TcpTarget(const TcpTarget&) = delete;
  TcpTarget& operator=(const TcpTarget&) = delete;

  // Starts connecting; false (with errno set) when not even the socket could be made.
  bool Connect(uint32_t address, uint16_t port, uint32_t timeout_ms);

  // > 0 bytes; 0 at the target's FIN; -1 with `*error` (EAGAIN: wait for readable).
  ssize_t Read(uint8_t* buffer, size_t length, int* error);
  // >= 0 bytes taken (maybe fewer than `length`); -1 with `*error` (EAGAIN: wait).
  ssize_t Write(const uint8_t* data, size_t length, int* error);
  ssize_t Writev(const struct iovec* iov, int count, int* error);
  // Passes the client's FIN on.
  void ShutdownWrite();
  // Closes with a FIN (or at once if still connecting).
  void Close();
  // Closes with a RST.
  void Reset();

  bool connected() const { return connected_; }
  bool open() const { return fd_ >= 0; }

  void OnIo(uint32_t events) override;

 private:
  void Finish(int error);

  core::EventLoop* loop_;
  Owner* owner_;
  int fd_ = -1;
  core::EventLoop::Watch* watch_ = nullptr;
  std::unique_ptr<core::Timer> deadline_;  // only while connecting
  bool connected_ = false;
};

// The status and proxy-status error for a failed connect (docs/protocol.md's table).
void MapConnectError(int error, uint16_t* status, control::ProxyError* proxy_error);

}  // namespace passerelle::gateway
