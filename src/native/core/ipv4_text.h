// The dotted-quad text of an IPv4 address (host byte order), for authorities, MASQUE paths,
// logs and audit lines: one implementation for both data planes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace passerelle::core {

// Writes the text into `out`, which holds at least 15 bytes; returns the length written (no
// terminating zero). Allocates nothing.
size_t FormatIpv4(uint32_t address, char* out);

// The same as a string.
std::string Ipv4Text(uint32_t address);

}  // namespace passerelle::core
