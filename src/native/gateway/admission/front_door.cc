#include "front_door.h"

namespace passerelle::gateway::admission {

const char* AdmitRefusalLabel(AdmitRefusal refusal) {
  switch (refusal) {
    case AdmitRefusal::kConnections: return "connections";
    case AdmitRefusal::kConnectionsPerSource: return "connections-per-source";
    case AdmitRefusal::kUnauthenticatedPerSource: return "unauthenticated-connections-per-source";
    case AdmitRefusal::kNone: break;
  }
  return "";
}

AdmitRefusal Admission::Admit(Ticket* ticket, const FrontLimits& limits,
                              std::vector<Eviction>* evicted) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = sources_.find(ticket->source_);
  const uint32_t mine = found == sources_.end() ? 0 : found->second.all;
  const uint32_t mine_before_login = found == sources_.end() ? 0 : found->second.unauthenticated;
  if (limits.connections != 0 && all_ >= limits.connections) return AdmitRefusal::kConnections;
  if (limits.connections_per_source != 0 && mine >= limits.connections_per_source) {
    return AdmitRefusal::kConnectionsPerSource;
  }
  if (limits.unauthenticated_per_source != 0 &&
      mine_before_login >= limits.unauthenticated_per_source) {
    return AdmitRefusal::kUnauthenticatedPerSource;
  }
  while (limits.unauthenticated != 0 && unauthenticated_ >= limits.unauthenticated &&
         EvictOneLocked(evicted)) {
  }
  Source& source = sources_[ticket->source_];
  source.all++;
  source.unauthenticated++;
  ticket->prev_ = source.newest;
  ticket->next_ = nullptr;
  if (source.newest != nullptr) source.newest->next_ = ticket;
  else source.oldest = ticket;
  source.newest = ticket;
  ticket->admitted_ = true;
  all_++;
  unauthenticated_++;
  return AdmitRefusal::kNone;
}

void Admission::Unlink(Source* source, Ticket* ticket) {
  if (ticket->prev_ != nullptr) ticket->prev_->next_ = ticket->next_;
  else source->oldest = ticket->next_;
  if (ticket->next_ != nullptr) ticket->next_->prev_ = ticket->prev_;
  else source->newest = ticket->prev_;
  ticket->prev_ = ticket->next_ = nullptr;
  source->unauthenticated--;
  unauthenticated_--;
}

void Admission::Authenticate(Ticket* ticket) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!ticket->admitted_ || ticket->released_ || ticket->authenticated_) return;
  ticket->authenticated_ = true;
  Unlink(&sources_[ticket->source_], ticket);
}

void Admission::ReleaseLocked(Ticket* ticket) {
  if (!ticket->admitted_ || ticket->released_) return;
  ticket->released_ = true;
  auto it = sources_.find(ticket->source_);
  if (it == sources_.end()) return;
  if (!ticket->authenticated_) Unlink(&it->second, ticket);
  all_--;
  if (--it->second.all == 0) sources_.erase(it);
}

void Admission::Release(Ticket* ticket) {
  std::lock_guard<std::mutex> lock(mutex_);
  ReleaseLocked(ticket);
}

bool Admission::EvictOneLocked(std::vector<Eviction>* evicted) {
  Source* heaviest = nullptr;
  for (auto& [address, source] : sources_) {
    if (source.unauthenticated > (heaviest ? heaviest->unauthenticated : 0)) heaviest = &source;
  }
  if (heaviest == nullptr || heaviest->oldest == nullptr) return false;
  Ticket* oldest = heaviest->oldest;
  evicted->push_back(Eviction{oldest->worker_, oldest->connection_});
  ReleaseLocked(oldest);
  return true;
}

size_t Admission::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return all_;
}

size_t Admission::unauthenticated_size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthenticated_;
}

}  // namespace passerelle::gateway::admission
