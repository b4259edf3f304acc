#include "policy.h"

namespace passerelle::gateway::admission {

namespace {

bool rule_contains(const Rule& rule, Protocol protocol, uint32_t address, uint16_t port) {
  if ((rule.protocols & protocol_bit(protocol)) == 0) return false;
  if (!rule.prefix.contains(address)) return false;
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

const ReservedBlock* ReservedList::find(uint32_t address) const {
  for (const ReservedBlock& block : blocks) {
    if (block.prefix.contains(address)) return &block;
  }
  return nullptr;
}

bool prefix_within(Prefix inner, Prefix outer) {
  return (inner.mask & outer.mask) == outer.mask && (inner.network & outer.mask) == outer.network;
}

Decision decide(const RuleSet& rules, const ReservedList* reserved, Protocol protocol,
                uint32_t address, uint16_t port) {
  const ReservedBlock* block = reserved != nullptr ? reserved->find(address) : nullptr;
  for (const Rule& rule : rules.rules) {
    if (!rule_contains(rule, protocol, address, port)) continue;
    // Any deny covers a reserved address; an allow must name its range.
    if (block != nullptr && rule.allow && !prefix_within(rule.prefix, block->prefix)) continue;
    Decision d;
    d.allow = rule.allow;
    d.policy_index = rule.policy_index;
    d.resource = static_cast<int32_t>(rule.resource);
    return d;
  }
  Decision d;
  if (block != nullptr) d.reserved = &block->kind;
  return d;
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
