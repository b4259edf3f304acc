// The per-worker tables and the shared caps: lookups by token hash, expiry, session ends
// reaching their flows, and caps that hold under a race between threads.
#include <string>
#include <thread>
#include <vector>

#include "../admission/caps.h"
#include "../admission/tables.h"
#include "check.h"

using namespace passerelle::gateway::admission;

namespace {

struct FakeFlow : SessionMember {
  int ended = 0;
  void OnSessionEnded() override { ended++; }
};

const std::string kToken = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";  // 43 characters

}  // namespace

TEST(tables_find_sessions_by_token_hash_until_they_expire) {
  Tables tables;
  auto rules = std::make_shared<RuleSet>();
  CHECK(!tables.PutSession(1, hash_token(kToken), 5000, 0, false, 9,
                           std::make_shared<SessionShared>()));
  tables.PutSubject(9, rules, std::make_shared<SubjectShared>());
  CHECK(tables.PutSession(1, hash_token(kToken), 5000, 0x64400007, true, 9,
                          std::make_shared<SessionShared>()));
  Session* s = tables.Authenticate(kToken, 4999);
  CHECK(s != nullptr && s->handle == 1 && s->intranet_ip == 0x64400007);
  CHECK(s != nullptr && s->subject->rules == rules);
  CHECK(tables.Authenticate(kToken, 5000) == nullptr);
  CHECK(tables.Authenticate(kToken.substr(1) + "R", 10) == nullptr);
  CHECK(tables.Authenticate("short", 10) == nullptr);
  // A reload replaces the rules; sessions see the new ones.
  auto next = std::make_shared<RuleSet>();
  tables.PutSubject(9, next, std::make_shared<SubjectShared>());
  CHECK(s != nullptr && s->subject->rules == next);
}

TEST(tables_end_a_sessions_flows_with_it) {
  Tables tables;
  tables.PutSubject(1, std::make_shared<RuleSet>(), std::make_shared<SubjectShared>());
  tables.PutSession(7, hash_token(kToken), ~uint64_t{0}, 0, false, 1,
                    std::make_shared<SessionShared>());
  Session* s = tables.Authenticate(kToken, 1);
  FakeFlow a, b, c;
  s->Attach(&a);
  s->Attach(&b);
  s->Attach(&c);
  s->Detach(&b);
  tables.RemoveSession(7);
  CHECK_EQ(a.ended, 1);
  CHECK_EQ(b.ended, 0);
  CHECK_EQ(c.ended, 1);
  CHECK(tables.Authenticate(kToken, 1) == nullptr);
  CHECK_EQ(tables.sessions(), 0u);
}

TEST(caps_hold_descriptor_limits_under_a_race) {
  DescriptorBudget budget;
  budget.SetLimits(1000, 600);
  SubjectShared alice, bob;
  std::vector<std::thread> threads;
  std::atomic<int> granted_alice{0}, granted_bob{0};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      SubjectShared* user = t % 2 == 0 ? &alice : &bob;
      std::atomic<int>& granted = t % 2 == 0 ? granted_alice : granted_bob;
      for (int i = 0; i < 1000; i++) {
        if (budget.Acquire(user) == DescriptorRefusal::kNone) granted++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(granted_alice.load() <= 600);
  CHECK(granted_bob.load() <= 600);
  CHECK_EQ(granted_alice.load() + granted_bob.load(), 1000);
  CHECK_EQ(budget.used(), 1000);
  CHECK(budget.Acquire(&alice) != DescriptorRefusal::kNone);
  budget.Release(&alice);
  CHECK_EQ(budget.used(), 999);
}
