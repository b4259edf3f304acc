// The data plane's system-call allow-list (seccomp-bpf), installed on every thread once the
// process is set up. What a worker needs is there: its loop (epoll, eventfd reads and
// writes, timers), sockets of the IPv4 family (connect to targets, accept clients, send and
// receive), memory, futexes, randomness for TLS. What an attacker would want is not: open,
// execve, fork, ptrace, a socket of another family (netlink, packet, unix), new listeners.
//
// Mode: kEnforce answers EPERM to anything else (as ocserv answers ENOSYS: a surprise call
// fails instead of killing the gateway), kTrap reports the call on stderr and aborts (for
// tests and debugging: a missing entry shows at once), kOff installs nothing.
#pragma once

#include <string>

namespace passerelle::gateway {

enum class SeccompMode { kEnforce, kTrap, kOff };

bool InstallSeccomp(SeccompMode mode, std::string* error);

}  // namespace passerelle::gateway
