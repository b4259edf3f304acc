// The front door's bookkeeping without sockets, the cases the TypeScript gateway's unit tests
// pinned (test/unit/gateway/front-door.test.ts before the data plane took it over): who is
// admitted, who is evicted, and releases that come in any order.
#include <memory>
#include <string>
#include <vector>

#include "../admission/front_door.h"
#include "check.h"

using namespace passerelle::gateway::admission;

namespace {

const FrontLimits kLimits{10, 6, 5, 3};

struct Pool {
  std::vector<std::unique_ptr<Ticket>> tickets;
  Ticket* make(uint32_t source) {
    tickets.push_back(std::make_unique<Ticket>(source, 0, tickets.size()));
    return tickets.back().get();
  }
};

}  // namespace

TEST(front_door_refuses_past_the_cap_per_source_before_login_and_counts_a_login_out) {
  Admission admission;
  Pool pool;
  std::vector<Eviction> evicted;
  std::vector<Ticket*> mine;
  for (int i = 0; i < 3; i++) {
    mine.push_back(pool.make(1));
    CHECK(admission.Admit(mine.back(), kLimits, &evicted) == AdmitRefusal::kNone);
  }
  CHECK(admission.Admit(pool.make(1), kLimits, &evicted) == AdmitRefusal::kUnauthenticatedPerSource);
  admission.Authenticate(mine[0]);
  CHECK_EQ(admission.unauthenticated_size(), 2u);
  CHECK(admission.Admit(pool.make(1), kLimits, &evicted) == AdmitRefusal::kNone);
  CHECK_EQ(admission.size(), 4u);
  CHECK(evicted.empty());
}

TEST(front_door_refuses_past_the_cap_per_source_and_overall_logged_in_or_not) {
  Admission admission;
  Pool pool;
  std::vector<Eviction> evicted;
  for (int i = 0; i < 6; i++) {
    Ticket* t = pool.make(1);
    CHECK(admission.Admit(t, kLimits, &evicted) == AdmitRefusal::kNone);
    admission.Authenticate(t);
  }
  CHECK(admission.Admit(pool.make(1), kLimits, &evicted) == AdmitRefusal::kConnectionsPerSource);
  for (uint32_t i = 0; i < 4; i++) {
    Ticket* t = pool.make(10 + i);
    CHECK(admission.Admit(t, kLimits, &evicted) == AdmitRefusal::kNone);
    admission.Authenticate(t);
  }
  CHECK(admission.Admit(pool.make(99), kLimits, &evicted) == AdmitRefusal::kConnections);
}

TEST(front_door_evicts_the_oldest_of_the_heaviest_source_past_the_overall_cap_before_login) {
  Admission admission;
  Pool pool;
  std::vector<Eviction> evicted;
  const uint32_t user = 1, attacker = 2, other = 3, late = 4;
  auto admit = [&](uint32_t source) {
    Ticket* t = pool.make(source);
    CHECK(admission.Admit(t, kLimits, &evicted) == AdmitRefusal::kNone);
    return t;
  };
  admit(user);  // connection 0
  admit(attacker);  // 1
  admit(attacker);  // 2
  admit(attacker);  // 3
  admit(other);  // 4
  // Full (5): a newcomer evicts the attacker's oldest, not the user's older connection.
  admit(late);
  CHECK_EQ(evicted.size(), 1u);
  CHECK(evicted.size() == 1 && evicted[0].connection == 1);
  CHECK_EQ(admission.unauthenticated_size(), 5u);
  admit(late);
  CHECK(evicted.size() == 2 && evicted[1].connection == 2);
  // An evicted connection's own close later changes nothing.
  admission.Release(pool.tickets[1].get());
  CHECK_EQ(admission.size(), 5u);
}

TEST(front_door_releases_once_whatever_the_order_of_login_and_close) {
  Admission admission;
  Pool pool;
  std::vector<Eviction> evicted;
  Ticket* t = pool.make(1);
  admission.Admit(t, kLimits, &evicted);
  admission.Release(t);
  admission.Release(t);
  admission.Authenticate(t);
  CHECK_EQ(admission.size(), 0u);
  CHECK_EQ(admission.unauthenticated_size(), 0u);
  Ticket* other = pool.make(1);
  admission.Admit(other, kLimits, &evicted);
  admission.Authenticate(other);
  admission.Release(other);
  CHECK_EQ(admission.size(), 0u);
  CHECK_EQ(admission.unauthenticated_size(), 0u);
  // A refused ticket was never counted: releasing it changes nothing.
  FrontLimits none_left{1, 1, 1, 1};
  Ticket* first = pool.make(5);
  admission.Admit(first, none_left, &evicted);
  Ticket* refused = pool.make(5);
  CHECK(admission.Admit(refused, none_left, &evicted) == AdmitRefusal::kConnections);
  admission.Release(refused);
  CHECK_EQ(admission.size(), 1u);
}
