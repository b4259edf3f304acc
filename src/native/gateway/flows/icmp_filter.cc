#include "icmp_filter.h"

#include <linux/filter.h>
#include <sys/socket.h>

namespace passerelle::gateway {

bool AttachIcmpIdentifierFilter(int fd, uint16_t identifier) {
  // A raw IPv4 socket's filter sees the packet from the IP header on:
  //   X = the IP header's length (4 × the low nibble of byte 0);
  //   A = the 16 bits at X + 4, the echo's identifier (network order, as BPF loads it);
  //   keep the whole packet when A is ours, else drop it.
  struct sock_filter program[] = {
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, identifier, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog filter = {static_cast<unsigned short>(sizeof program / sizeof program[0]),
                              program};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof filter) == 0;
}

}  // namespace passerelle::gateway
