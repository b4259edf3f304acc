#include "tcp_flow.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "packet.h"
#include "stats.h"
#include "tcp_stack.h"

namespace passerelle::client {

TcpFlow::TcpFlow(TcpStack* stack, const FlowKey& key, uint32_t slot, const uint8_t* syn,
                 size_t length, bool syn_keeps_header, uint32_t syn_sequence)
    : stack_(stack),
      key_(key),
      slot_(slot),
      syn_(TunDevice::kHeadroom + length),
      syn_keeps_header_(syn_keeps_header),
      syn_sequence_(syn_sequence),
      started_ms_(stack->loop_->Now()),
      last_syn_ms_(started_ms_),
      to_application_(&stack->pool_, stack->options_.queue_limit),
      timer_([this] { OnTimer(); }) {
  // The headroom holds the SYN's offload header, which still describes it when released.
  std::memcpy(syn_.data(), syn - TunDevice::kHeadroom, TunDevice::kHeadroom + length);
}

TcpFlow::~TcpFlow() {
  CloseSocket();
  if (stream_ != nullptr) stream_->Detach();
}

void TcpFlow::Arm(uint64_t delay_ms) { stack_->loop_->Arm(&timer_, delay_ms); }

void TcpFlow::OnSynAgain(const TunPacket& syn, size_t length, uint32_t sequence) {
  const uint64_t now = stack_->loop_->Now();
  if (sequence == syn_sequence_) {
    // A retransmission: the held SYN stands; the gap says how long silence may last.
    syn_gap_ms_ = now - last_syn_ms_;
  } else {
    // A new connection from the same port (the old socket was closed in SYN-SENT): the listener
    // must get this SYN, or its SYN-ACK would not match the application's socket.
    syn_.assign(syn.data - TunDevice::kHeadroom, syn.data + length);
    syn_keeps_header_ = syn.partial_checksum();
    syn_sequence_ = sequence;
    syn_gap_ms_ = 0;
  }
  last_syn_ms_ = now;
}

void TcpFlow::CheckHeld() {
  const uint64_t now = stack_->loop_->Now();
  const uint64_t pending = now - started_ms_;
  if (pending >= TcpStack::kPendingTimeoutMs) {
    Refuse(Refusal::kUnreachable);
    return;
  }
  const uint64_t silent = now - last_syn_ms_;
  const uint64_t gap_limit = static_cast<uint64_t>(TcpStack::kSilenceFactor * static_cast<double>(syn_gap_ms_));
  const uint64_t silence_limit = gap_limit > TcpStack::kSilenceMinMs ? gap_limit : TcpStack::kSilenceMinMs;
  // Nothing is sent to an application that left; were it still there after all, its next SYN
  // starts a new flow.
  if (silent >= silence_limit) {
    Abandon();
    return;
  }
  uint64_t next = silent < TcpStack::kProbeAfterMs ? TcpStack::kProbeAfterMs - silent : 0;
  if (next == 0) {
    stack_->SendProbe(syn_.data() + TunDevice::kHeadroom, syn_.size() - TunDevice::kHeadroom);
    next = TcpStack::kProbeIntervalMs;
  }
  if (silence_limit - silent < next) next = silence_limit - silent;
  if (TcpStack::kPendingTimeoutMs - pending < next) next = TcpStack::kPendingTimeoutMs - pending;
  stack_->loop_->Arm(&timer_, next);
}

void TcpFlow::OnTimer() {
  switch (state_) {
    case State::kPending:
      CheckHeld();
      return;
    case State::kOpen:
      // Answered, but no local handshake came: the application gave up meanwhile.
      if (!accepted()) Abandon();
      return;
    case State::kClosing:
      stack_->Release(this);
      return;
  }
}

void TcpFlow::OnOpened() {
  if (state_ != State::kPending) return;
  state_ = State::kOpen;
  stack_->loop_->Arm(&timer_, TcpStack::kAcceptTimeoutMs);
  // Release the held SYN towards the listener: B:n → A:L.
  uint8_t* packet = syn_.data() + TunDevice::kHeadroom;
  const size_t length = syn_.size() - TunDevice::kHeadroom;
  core::Ipv4Header ip;
  if (core::ParseIpv4(packet, length, &ip) == core::PacketError::kNone) {
    core::RewriteEndpoints(packet, ip, stack_->options_.spare_address, NatTable<TcpFlow>::PortOf(slot_),
                           stack_->options_.address,
                           stack_->listener_ports_[NatTable<TcpFlow>::ListenerOf(slot_)],
                           syn_keeps_header_ ? core::ChecksumState::kPartial
                                             : core::ChecksumState::kComplete);
    stack_->output_->Send(packet, length, syn_keeps_header_);
    RecordLatency(stack_->counters_, kLatencyConnectDownNs,
                  core::EventLoop::MonotonicNs() - stack_->loop_->turn_started_ns());
  }
  std::vector<uint8_t>().swap(syn_);
}

void TcpFlow::Refuse(Refusal refusal) {
  if (state_ != State::kPending) return;
  const uint8_t* packet = syn_.data() + TunDevice::kHeadroom;
  const size_t length = syn_.size() - TunDevice::kHeadroom;
  if (refusal == Refusal::kRefused || refusal == Refusal::kProhibited ||
      refusal == Refusal::kAuthRequired) {
    stack_->SendReset(packet, length);
  } else {
    stack_->SendUnreachable(packet, length, key_.destination);
  }
  Finish(true);
}

void TcpFlow::OnRefused(Refusal refusal) {
  stream_ = nullptr;
  Refuse(refusal);
}

void TcpFlow::Attach(int fd) {
  fd_ = fd;
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // An application that vanished without its FIN or RST reaching us (a packet lost at the
  // TUN's queue) would hold its stream, and the gateway's target connection, for ever: its
  // kernel answers the first keepalive probe with a reset.
  const int idle = TcpStack::kKeepaliveIdleS;
  setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  watch_ = stack_->loop_->Add(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this);
  stack_->loop_->Disarm(&timer_);
  if (stream_reset_) {
    // The target reset before the application's handshake ended: a reset, as on a direct path.
    ResetSocket();
    Finish(false);
    return;
  }
  FlushToApplication();
  if (stream_ != nullptr) stream_->ResumeSending();
}

void TcpFlow::OnIo(uint32_t events) {
  if (fd_ < 0) return;
  if (events & EPOLLERR) {
    int error = 0;
    socklen_t size = sizeof(error);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) {
      ApplicationReset();
      return;
    }
  }
  if (events & EPOLLOUT) FlushToApplication();
  if (fd_ < 0) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
    readable_ = true;
    if (stream_ != nullptr) {
      stream_->ResumeSending();
    } else if (!application_ended_) {
      // Nowhere to send (the stream is over): read to see the end, and drop.
      uint8_t sink[4096];
      for (;;) {
        const ssize_t got = read(fd_, sink, sizeof(sink));
        if (got > 0) continue;
        if (got == 0) {
          application_ended_ = true;
          MaybeDone();
        } else if (errno != EAGAIN && errno != EINTR) {
          ApplicationReset();
        }
        break;
      }
    }
  }
}

size_t TcpFlow::Pull(uint8_t* buffer, size_t length, bool* eof) {
  *eof = false;
  if (fd_ < 0 || application_ended_) {
    *eof = application_ended_;
    return 0;
  }
  if (!readable_) return 0;  // the next readable event resumes the stream
  for (;;) {
    const ssize_t got = read(fd_, buffer, length);
    if (got > 0) {
      stack_->counters_->Add(kBytesOut, static_cast<uint64_t>(got));
      if (static_cast<size_t>(got) < length) readable_ = false;
      return static_cast<size_t>(got);
    }
    if (got == 0) {
      application_ended_ = true;
      *eof = true;
      // Calls into the stream are safe from its own callbacks (tunnel.h); the flow object
      // itself is freed only at the end of the turn.
      MaybeDone();
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      readable_ = false;
    } else {
      ApplicationReset();  // the application reset: so is the stream
    }
    return 0;
  }
}

void TcpFlow::OnData(const uint8_t* data, size_t length) {
  if (fd_ < 0 || !to_application_.empty()) {
    // Not accepted yet, or earlier bytes still wait: keep order. The queue may exceed its
    // soft limit only by what the stream's window allowed in flight.
    const size_t taken = to_application_.Append(data, length);
    if (taken < length) {
      to_application_.set_limit(to_application_.limit() + (length - taken));
      to_application_.Append(data + taken, length - taken);
    }
    return;
  }
  size_t written = 0;
  while (written < length) {
    const ssize_t n = send(fd_, data + written, length - written, MSG_NOSIGNAL);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      ApplicationReset();  // the stream, detached, drops what still comes
      return;
    }
    break;
  }
  if (written > 0) {
    stack_->counters_->Add(kBytesIn, written);
    if (!delivered_) {
      delivered_ = true;
      RecordLatency(stack_->counters_, kLatencyDataDownNs,
                    core::EventLoop::MonotonicNs() - stack_->loop_->turn_started_ns());
    }
    if (stream_ != nullptr) stream_->Consumed(written);
  }
  if (written < length) to_application_.Append(data + written, length - written);
}

void TcpFlow::FlushToApplication() {
  if (fd_ < 0) return;
  while (!to_application_.empty()) {
    struct iovec iov[16];
    const int count = to_application_.Peek(iov, 16);
    const ssize_t n = writev(fd_, iov, count);
    if (n > 0) {
      to_application_.Consume(static_cast<size_t>(n));
      stack_->counters_->Add(kBytesIn, static_cast<uint64_t>(n));
      if (stream_ != nullptr) stream_->Consumed(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      ApplicationReset();
      return;
    }
    return;  // full: EPOLLOUT will come
  }
  ShutdownWriteIfDone();
}

void TcpFlow::ShutdownWriteIfDone() {
  if (fd_ < 0 || write_shut_ || !target_ended_ || !to_application_.empty()) return;
  shutdown(fd_, SHUT_WR);
  write_shut_ = true;
  MaybeDone();
}

void TcpFlow::OnEnd() {
  target_ended_ = true;
  ShutdownWriteIfDone();
}

void TcpFlow::OnClosed(bool reset) {
  stream_ = nullptr;
  if (state_ == State::kClosing) return;
  if (reset) {
    if (fd_ >= 0) {
      ResetSocket();
      Finish(false);
    } else {
      // Not accepted yet: reset the socket when it comes (or the accept timeout ends it).
      stream_reset_ = true;
    }
    return;
  }
  // A normal end: both sides sent END_STREAM. Whatever the application still sends goes
  // nowhere; the flow ends once the socket is done too.
  target_ended_ = true;
  if (fd_ >= 0) {
    ShutdownWriteIfDone();
    MaybeDone();
  }
}

void TcpFlow::MaybeDone() {
  if (state_ == State::kClosing || fd_ < 0) return;
  if (application_ended_ && write_shut_) {
    CloseSocket();
    Finish(false);
  }
}

void TcpFlow::ApplicationReset() {
  if (state_ == State::kClosing) return;
  if (stream_ != nullptr) {
    stream_->Abort();
    stream_ = nullptr;
  }
  CloseSocket();
  Finish(false);
}

void TcpFlow::Abandon() {
  if (state_ == State::kClosing) return;
  if (stream_ != nullptr) {
    stream_->Abort();  // the gateway stops connecting, or closes the target connection
    stream_ = nullptr;
  }
  // A held SYN never reached the kernel: nothing lingers.
  Finish(state_ == State::kPending);
}

void TcpFlow::ResetSocket() {
  if (fd_ < 0) return;
  // A close with a zero linger sends RST instead of FIN.
  struct linger option {1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  CloseSocket();
}

void TcpFlow::CloseSocket() {
  if (fd_ < 0) return;
  stack_->loop_->Remove(watch_);
  watch_ = nullptr;
  close(fd_);
  fd_ = -1;
  socket_done_ = true;
  to_application_.Clear();
}

void TcpFlow::Finish(bool immediately) {
  if (state_ == State::kClosing) return;
  state_ = State::kClosing;
  stack_->counters_->Subtract(kTcpOpen);
  std::vector<uint8_t>().swap(syn_);
  if (stream_ != nullptr) {
    stream_->Detach();
    stream_ = nullptr;
  }
  CloseSocket();
  Linger(!immediately);
}

void TcpFlow::Linger(bool keep) {
  if (keep) {
    stack_->loop_->Arm(&timer_, TcpStack::kLingerMs);
    return;
  }
  stack_->loop_->Disarm(&timer_);
  stack_->Release(this);
}

}  // namespace passerelle::client
