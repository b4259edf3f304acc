// Least rights for the data plane (docs/gateway-dataplane.md, "What holds what"): once the
// listeners and ICMP sockets are open, every capability goes, no_new_privs is set, and the
// process stops being dumpable (no core file with the private key in it, no ptrace by the
// same user). Then seccomp (seccomp.h) limits the system calls.
#pragma once

#include <string>

namespace passerelle::gateway {

// Drops every capability (effective, permitted, inheritable, ambient, and the bounding set
// where allowed). False with `*error` when the capabilities could not be dropped.
bool DropPrivileges(std::string* error);

}  // namespace passerelle::gateway
