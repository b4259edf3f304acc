// The tables a worker admits flows with (docs/gateway-dataplane.md, "Tables pushed down"):
// live sessions by the SHA-256 of their token, and the subjects (users) whose compiled rules
// they use. Each worker has its own Tables, changed only on its loop thread by commands the
// control thread posts, so a lookup takes no lock. What must be counted across workers (a
// session's flows, a user's descriptors) lives in the *Shared objects, reached from every
// worker's copy.
//
// A session also knows the flows it has in this worker (an intrusive list), so that ending
// it ends them: a logout or an expiry closes the tunnels at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <unordered_map>

#include "bearer.h"
#include "policy.h"

namespace passerelle::gateway::admission {

struct SessionShared {
  std::atomic<int32_t> flows{0};  // open in all workers, for limits.streamsPerSession
};

struct SubjectShared {
  std::atomic<int32_t> descriptors{0};  // target sockets of this user, in all workers
};

struct Subject {
  uint32_t handle = 0;
  std::shared_ptr<const RuleSet> rules;
  std::shared_ptr<SubjectShared> shared;
};

// Something that belongs to a session and must end with it (a tunnel stream, an HTTP/1.1
// tunnel connection). Linked into its session's list while alive.
class SessionMember {
 public:
  // The session ended (logout, expiry, replacement): end the flow now. The member was
  // detached already.
  virtual void OnSessionEnded() = 0;

 protected:
  ~SessionMember() = default;
  // The session this member is attached to, or null.
  struct Session* session() const { return session_; }
  void DetachFromSession();

 private:
  friend class Tables;
  friend struct Session;
  SessionMember* prev_ = nullptr;
  SessionMember* next_ = nullptr;
  struct Session* session_ = nullptr;
};

struct Session {
  uint32_t handle = 0;
  TokenHash token_hash{};
  uint64_t expires_at_ms = 0;  // wall clock (ms since the epoch)
  uint32_t intranet_ip = 0;
  bool has_intranet_ip = false;
  std::shared_ptr<Subject> subject;
  std::shared_ptr<SessionShared> shared;
  SessionMember* members = nullptr;  // this worker's flows of the session

  void Attach(SessionMember* member);
  void Detach(SessionMember* member);
};

struct TokenHashHasher {
  size_t operator()(const TokenHash& h) const {
    size_t v;
    std::memcpy(&v, h.data(), sizeof v);  // SHA-256 output: any 8 bytes are uniform
    return v;
  }
};

class Tables {
 public:
  // The live session a bearer token belongs to, or null (unknown, malformed, expired).
  Session* Authenticate(std::string_view token, uint64_t now_ms) const;

  // Subjects first: a session names its subject, which must be there.
  void PutSubject(uint32_t handle, std::shared_ptr<const RuleSet> rules,
                  std::shared_ptr<SubjectShared> shared);
  void RemoveSubject(uint32_t handle);
  // False when the subject is unknown (the session is not added).
  bool PutSession(uint32_t handle, const TokenHash& token_hash, uint64_t expires_at_ms,
                  uint32_t intranet_ip, bool has_intranet_ip, uint32_t subject,
                  std::shared_ptr<SessionShared> shared);
  // Ends the session's flows in this worker (OnSessionEnded on each), then forgets it.
  void RemoveSession(uint32_t handle);
  // Ends every session's flows (shutdown).
  void Clear();

  size_t sessions() const { return sessions_.size(); }

 private:
  std::unordered_map<uint32_t, std::shared_ptr<Subject>> subjects_;
  std::unordered_map<uint32_t, std::unique_ptr<Session>> sessions_;
  std::unordered_map<TokenHash, Session*, TokenHashHasher> by_token_;
};

}  // namespace passerelle::gateway::admission
