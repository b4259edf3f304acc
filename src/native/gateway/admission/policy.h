// A user's compiled policy, as TypeScript pushes it down (src/gateway/policy.ts compiles it):
// the rules of every policy that applies to the user, in order, one per resource the policy
// names. The first rule whose resource contains the flow decides; none = deny. Evaluating is
// integer arithmetic on a short array, no allocation, so it runs in the worker for every
// flow without asking TypeScript.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace passerelle::gateway::admission {

enum class Protocol : uint8_t { kTcp = 0, kUdp = 1, kIcmp = 2 };

inline constexpr uint8_t protocol_bit(Protocol p) { return uint8_t{1} << static_cast<uint8_t>(p); }

struct PortRange {
  uint16_t from;
  uint16_t to;
};

struct Prefix {
  uint32_t network;
  uint32_t mask;
  bool contains(uint32_t address) const { return (address & mask) == network; }
};

struct Rule {
  bool allow = false;
  int32_t policy_index = -1;  // index in the configuration's policies
  uint32_t resource = 0;  // index in RuleSet::resource_names
  Prefix prefix{0, 0};
  uint8_t protocols = 0;  // protocol_bit() set
  bool covers_icmp = true;  // false for a port-limited resource that does not name icmp
  std::vector<PortRange> ports;  // empty = every port
};

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<std::string> resource_names;
};

// Destinations no broad allow reaches (src/gateway/reserved.ts, pushed as RESERVED):
// loopback, link-local, multicast, this network, the gateway's own addresses and its subnets'
// broadcasts. A flow to one is allowed only by a resource whose whole block lies inside it
// (127.0.0.1/32 opens loopback; 0.0.0.0/0 does not); any deny covers it.
struct ReservedBlock {
  Prefix prefix;
  std::string kind;  // "loopback", "gateway-address", ... for the audit line
};

struct ReservedList {
  std::vector<ReservedBlock> blocks;
  // The block `address` falls in, or null.
  const ReservedBlock* find(uint32_t address) const;
};

struct Decision {
  bool allow = false;
  int32_t policy_index = -1;  // -1: nothing matched (default deny)
  int32_t resource = -1;  // index in resource_names, -1 when nothing matched
  // A default deny of a reserved destination: its kind (valid while the list lives).
  const std::string* reserved = nullptr;
};

// port is ignored for ICMP; `reserved` may be null (nothing reserved).
Decision decide(const RuleSet& rules, const ReservedList* reserved, Protocol protocol,
                uint32_t address, uint16_t port);

// Whether `inner` lies wholly inside `outer`.
bool prefix_within(Prefix inner, Prefix outer);

// Whether any rule could allow ICMP to some address inside network/mask: used to refuse a
// connect-ip stream before anything is opened for it when the user may ping nothing there.
bool may_allow_icmp(const RuleSet& rules, Prefix scope);

}  // namespace passerelle::gateway::admission
