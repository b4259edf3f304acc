// The kernel-side filter of a raw ICMP echo socket (flows/icmp_echo.h): a raw socket receives
// every ICMP packet that reaches the host, those meant for the other workers' sockets and for
// anything else on the machine that pings. Without a filter each echo reply wakes every
// worker, only for all but one to throw it away.
#pragma once

#include <cstdint>

namespace passerelle::gateway {

// Attaches a classic BPF program to the raw IPv4 ICMP socket `fd` that lets through only
// packets whose ICMP identifier is `identifier` (the type is ICMP_FILTER's business). False
// when the kernel refuses it (errno says why); the socket then receives everything, as before.
bool AttachIcmpIdentifierFilter(int fd, uint16_t identifier);

}  // namespace passerelle::gateway
