#include "policy.h"

namespace passerelle::gateway::admission {

namespace {

bool rule_contains(const Rule& rule, Protocol protocol, uint32_t address, uint16_t port) {
  if ((rule.protocols & protocol_bit(protocol)) == 0) return false;
  if (!rule.prefix.contains(address)) return false;
  for (const Prefix& excluded : rule.excluded) {
    if (excluded.contains(address)) return false;
  }
  if (protocol == Protocol::kIcmp) return rule.covers_icmp;
  if (rule.ports.empty()) return true;
  for (const PortRange& range : rule.ports) {
    if (port >= range.from && port <= range.to) return true;
  }
  return false;
}

// Whether two prefixes share an address.
bool overlaps(Prefix a, Prefix b) {
  uint32_t mask = a.mask & b.mask;  // the shorter of the two masks
  return (a.network & mask) == (b.network & mask);
}

}  // namespace

Decision decide(const RuleSet& rules, Protocol protocol, uint32_t address, uint16_t port) {
  for (const Rule& rule : rules.rules) {
    if (!rule_contains(rule, protocol, address, port)) continue;
    Decision d;
    d.allow = rule.allow;
    d.policy_index = rule.policy_index;
    d.resource = static_cast<int32_t>(rule.resource);
    return d;
  }
  return Decision{};
}

bool may_allow_icmp(const RuleSet& rules, Prefix scope) {
  for (const Rule& rule : rules.rules) {
    if (!rule.allow || (rule.protocols & protocol_bit(Protocol::kIcmp)) == 0 ||
        !rule.covers_icmp) {
      continue;
    }
    if (overlaps(rule.prefix, scope)) return true;
  }
  return false;
}

}  // namespace passerelle::gateway::admission
