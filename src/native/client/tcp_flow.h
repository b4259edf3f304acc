// One TCP flow of the client (see tcp_stack.h): the held SYN, its NAT slot, the accepted
// socket once the kernel completed the local handshake, and the splice between that socket and
// the tunnel's byte stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "byte_queue.h"
#include "loop.h"
#include "nat_table.h"
#include "tun_device.h"
#include "tunnel.h"

namespace passerelle::client {

class TcpStack;

class TcpFlow final : public ByteStreamPeer, public core::IoHandler {
 public:
  enum class State : uint8_t {
    kPending,  // SYN held, the tunnel asked
    kOpen,     // the target accepted: packets are rewritten both ways
    kClosing,  // done; the mapping lingers for the last ACKs
  };

  TcpFlow(TcpStack* stack, const FlowKey& key, uint32_t slot, const uint8_t* syn, size_t length,
          bool syn_keeps_header, uint32_t syn_sequence);
  ~TcpFlow() override;

  // ByteStreamPeer
  void OnOpened() override;
  void OnRefused(Refusal refusal) override;
  void OnData(const uint8_t* data, size_t length) override;
  void OnEnd() override;
  void OnClosed(bool reset) override;
  size_t Pull(uint8_t* buffer, size_t length, bool* eof) override;

  // IoHandler: the accepted socket.
  void OnIo(uint32_t events) override;

  void Attach(int fd);
  // The application sent its SYN again while the gateway is still connecting (`syn` has the
  // TUN's headroom in front of it).
  void OnSynAgain(const TunPacket& syn, size_t length, uint32_t sequence);
  // The application left before the local handshake ended: the stream is cancelled (reset,
  // within the budget) and the flow ends.
  void Abandon();
  // Ends the flow: `immediately` frees the slot now (nothing reached the kernel); otherwise the
  // mapping lingers.
  void Finish(bool immediately);
  void Refuse(Refusal refusal);
  // A closed flow's mapping: lingers for the last ACKs (`keep`), or goes now.
  void Linger(bool keep);

  const FlowKey& key() const { return key_; }
  uint32_t slot() const { return slot_; }
  State state() const { return state_; }
  bool accepted() const { return fd_ >= 0 || socket_done_; }
  bool linked() const { return linked_; }
  void set_stream(ByteStream* stream) { stream_ = stream; }
  void Arm(uint64_t delay_ms);
  void Unlinked() { linked_ = false; }

 private:
  void FlushToApplication();
  void ShutdownWriteIfDone();
  void MaybeDone();
  void ApplicationReset();
  void ResetSocket();
  void CloseSocket();
  void OnTimer();
  void CheckHeld();

  TcpStack* stack_;
  FlowKey key_;
  uint32_t slot_;
  State state_ = State::kPending;
  bool linked_ = true;
  std::vector<uint8_t> syn_;  // headroom + the SYN, until released or refused
  bool syn_keeps_header_;
  uint32_t syn_sequence_;
  uint64_t started_ms_;
  uint64_t last_syn_ms_;
  uint64_t syn_gap_ms_ = 0;  // between the last two SYNs (0: sent once so far)
  ByteStream* stream_ = nullptr;
  int fd_ = -1;
  core::EventLoop::Watch* watch_ = nullptr;
  bool socket_done_ = false;      // the socket was attached and is closed now
  core::ByteQueue to_application_;
  bool application_ended_ = false;  // read EOF: END_STREAM sent or on its way
  bool target_ended_ = false;       // END_STREAM from the gateway
  bool write_shut_ = false;         // FIN passed on to the application
  bool stream_reset_ = false;       // the stream ended abnormally before the socket came
  bool delivered_ = false;          // the target's first bytes reached the application
  // The socket may have bytes to read: set by every readable event (edge-triggered), cleared
  // by a read that came back short. A short read from a TCP socket emptied it, and new bytes
  // bring a new event: no read() just to hear EAGAIN.
  bool readable_ = true;
  core::Timer timer_;
};

}  // namespace passerelle::client
