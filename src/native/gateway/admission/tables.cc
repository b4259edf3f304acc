#include "tables.h"

namespace passerelle::gateway::admission {

void Session::Attach(SessionMember* member) {
  member->session_ = this;
  member->prev_ = nullptr;
  member->next_ = members;
  if (members != nullptr) members->prev_ = member;
  members = member;
}

void Session::Detach(SessionMember* member) {
  if (member->session_ != this) return;
  if (member->prev_ != nullptr) member->prev_->next_ = member->next_;
  else members = member->next_;
  if (member->next_ != nullptr) member->next_->prev_ = member->prev_;
  member->prev_ = member->next_ = nullptr;
  member->session_ = nullptr;
}

void SessionMember::DetachFromSession() {
  if (session_ != nullptr) session_->Detach(this);
}

Session* Tables::Authenticate(std::string_view token, uint64_t now_ms) const {
  if (!is_token_shape(token)) return nullptr;
  auto it = by_token_.find(hash_token(token));
  if (it == by_token_.end()) return nullptr;
  // Expired sessions are refused at once, before TypeScript's sweep removes them.
  if (it->second->expires_at_ms <= now_ms) return nullptr;
  return it->second;
}

void Tables::PutSubject(uint32_t handle, std::shared_ptr<const RuleSet> rules,
                        std::shared_ptr<SubjectShared> shared) {
  auto& slot = subjects_[handle];
  if (!slot) slot = std::make_shared<Subject>();
  // Sessions hold the Subject: a reload changes the rules of every session of the user.
  slot->handle = handle;
  slot->rules = std::move(rules);
  if (!slot->shared) slot->shared = std::move(shared);
}

void Tables::RemoveSubject(uint32_t handle) { subjects_.erase(handle); }

bool Tables::PutSession(uint32_t handle, const TokenHash& token_hash, uint64_t expires_at_ms,
                        uint32_t intranet_ip, bool has_intranet_ip, uint32_t subject,
                        std::shared_ptr<SessionShared> shared) {
  auto found = subjects_.find(subject);
  if (found == subjects_.end()) return false;
  RemoveSession(handle);
  auto session = std::make_unique<Session>();
  session->handle = handle;
  session->token_hash = token_hash;
  session->expires_at_ms = expires_at_ms;
  session->intranet_ip = intranet_ip;
  session->has_intranet_ip = has_intranet_ip;
  session->subject = found->second;
  session->shared = std::move(shared);
  by_token_[token_hash] = session.get();
  sessions_[handle] = std::move(session);
  return true;
}

void Tables::RemoveSession(uint32_t handle) {
  auto it = sessions_.find(handle);
  if (it == sessions_.end()) return;
  std::unique_ptr<Session> session = std::move(it->second);
  sessions_.erase(it);
  auto token = by_token_.find(session->token_hash);
  if (token != by_token_.end() && token->second == session.get()) by_token_.erase(token);
  // Each member detaches itself (or is detached here) as it ends; take them one at a time
  // from the head, since ending one may end others.
  while (session->members != nullptr) {
    SessionMember* member = session->members;
    session->Detach(member);
    member->OnSessionEnded();
  }
}

void Tables::Clear() {
  while (!sessions_.empty()) RemoveSession(sessions_.begin()->first);
}

}  // namespace passerelle::gateway::admission
