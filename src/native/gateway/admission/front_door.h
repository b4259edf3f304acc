// Who may hold a connection to the gateway (issue #8; the TypeScript gateway's front door,
// ported): caps on all connections (overall and per source address) and on connections that
// have not logged in yet (overall and per source). Past the overall cap before login, the
// oldest such connection of the source that holds the most of them is closed to make room:
// someone who holds many idle connections loses his own first, and a user who connects now
// still gets in. Shared by every worker (one mutex: taken once per accept, login and close).
//
// A Ticket lives in its connection. Admit() may choose connections of other workers to evict:
// it releases their tickets under the lock and hands back (worker, connection id) pairs, so
// the caller only posts a close to the owner; the owner's own Release() later is a no-op.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace passerelle::gateway::admission {

struct FrontLimits {
  uint32_t connections = 0;  // 0: no limit
  uint32_t connections_per_source = 0;
  uint32_t unauthenticated = 0;
  uint32_t unauthenticated_per_source = 0;
};

enum class AdmitRefusal : uint8_t {
  kNone,
  kConnections,  // "connections"
  kConnectionsPerSource,  // "connections-per-source"
  kUnauthenticatedPerSource,  // "unauthenticated-connections-per-source"
};

const char* AdmitRefusalLabel(AdmitRefusal refusal);

struct Eviction {
  uint32_t worker;
  uint64_t connection;
};

class Ticket {
 public:
  Ticket(uint32_t source, uint32_t worker, uint64_t connection)
      : source_(source), worker_(worker), connection_(connection) {}
  bool authenticated() const { return authenticated_; }

 private:
  friend class Admission;
  uint32_t source_;
  uint32_t worker_;
  uint64_t connection_;
  bool admitted_ = false;
  bool authenticated_ = false;
  bool released_ = false;
  // The source's connections before login, oldest first.
  Ticket* prev_ = nullptr;
  Ticket* next_ = nullptr;
};

class Admission {
 public:
  // Admits `ticket`'s connection under `limits`, or says which cap refuses it. Connections
  // closed to make room are appended to `evicted`.
  AdmitRefusal Admit(Ticket* ticket, const FrontLimits& limits, std::vector<Eviction>* evicted);
  // The connection logged in (or showed a valid token): it no longer counts as before login.
  void Authenticate(Ticket* ticket);
  // The connection closed. Safe to call more than once, and for a refused ticket.
  void Release(Ticket* ticket);

  size_t size() const;
  size_t unauthenticated_size() const;

 private:
  struct Source {
    uint32_t all = 0;
    uint32_t unauthenticated = 0;
    Ticket* oldest = nullptr;
    Ticket* newest = nullptr;
  };

  void Unlink(Source* source, Ticket* ticket);
  void ReleaseLocked(Ticket* ticket);
  bool EvictOneLocked(std::vector<Eviction>* evicted);

  mutable std::mutex mutex_;
  size_t all_ = 0;
  size_t unauthenticated_ = 0;
  std::unordered_map<uint32_t, Source> sources_;
};

}  // namespace passerelle::gateway::admission
