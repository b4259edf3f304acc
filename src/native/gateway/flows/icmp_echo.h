// ICMP echo for connect-ip (docs/protocol.md, "ICMP echo"): one socket per worker, opened at
// start while the process still may (a ping socket, or a raw one with CAP_NET_RAW), serving
// every connect-ip stream of the worker. Each request leaves with a sequence number of ours;
// the reply is matched by it (and by its source) and handed to the stream that sent it, with
// the client's own identifier and sequence number back in place.
//
// Promises: bounded memory (kSlots outstanding echoes per worker; the oldest is forgotten
// when a slot is reused); at most kMaxPerOwner outstanding per stream; a reply is delivered
// at most once, only to a stream still registered, only from the address the request went to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "loop.h"

namespace passerelle::gateway {

class Worker;

class IcmpEcho : public core::IoHandler {
 public:
  static constexpr size_t kSlots = 16384;
  static constexpr uint32_t kMaxPerOwner = 4096;
  static constexpr uint64_t kTimeoutMs = 30000;

  class Listener {
   public:
    // An echo reply from `source` to a request this listener sent; `data` is what follows the
    // 8-byte ICMP header.
    virtual void OnEchoReply(uint32_t source, uint32_t client_address, uint16_t identifier,
                             uint16_t sequence, const uint8_t* data, size_t length) = 0;

   protected:
    ~Listener() = default;
  };

  // Opens the socket: a ping socket when net.ipv4.ping_group_range allows this process
  // (the kernel then chooses the identifier), otherwise a raw one (CAP_NET_RAW) that writes
  // `identifier` into its requests and whose kernel filter lets only replies carrying it
  // through: give each worker its own. Null with `*error` saying which sysctl to set.
  static std::unique_ptr<IcmpEcho> Open(uint16_t identifier, std::string* error);
  ~IcmpEcho() override;

  // On the worker's thread, once it runs.
  void Attach(Worker* worker);
  void Detach();

  uint64_t Register(Listener* listener);
  void Unregister(uint64_t owner);

  enum class SendResult : uint8_t { kSent, kTooMany, kFailed };
  // `message` is the client's ICMP echo request (header included); its identifier and
  // sequence are replaced by ours on the way out.
  SendResult Send(uint64_t owner, uint32_t destination, uint32_t client_address,
                  const uint8_t* message, size_t length);

  bool raw() const { return raw_; }
  void OnIo(uint32_t events) override;

 private:
  struct Slot {
    uint64_t owner = 0;  // 0: free
    uint64_t deadline_ms = 0;
    uint32_t destination = 0;
    uint32_t client_address = 0;
    uint16_t identifier = 0;
    uint16_t sequence = 0;  // the client's
    uint16_t ours = 0;
  };
  struct Owner {
    Listener* listener;
    uint32_t outstanding;
  };

  IcmpEcho(int fd, bool raw, uint16_t identifier) : fd_(fd), raw_(raw), identifier_(identifier) {}
  void Forget(Slot* slot);
  void Sweep();

  int fd_;
  bool raw_;
  uint16_t identifier_;  // raw sockets: ours, written into each request
  Worker* worker_ = nullptr;
  core::EventLoop::Watch* watch_ = nullptr;
  core::Timer sweep_timer_{[this] { Sweep(); }};
  std::vector<Slot> slots_;  // allocated at the first echo
  uint16_t next_sequence_ = 0;
  uint64_t next_owner_ = 1;
  std::unordered_map<uint64_t, Owner> owners_;
  std::unique_ptr<uint8_t[]> buffer_;
};

}  // namespace passerelle::gateway
