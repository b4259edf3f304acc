#include <cstring>

#include "check.h"

namespace passerelle::gateway::test {

TestCase*& registry() {
  static TestCase* head = nullptr;
  return head;
}

int& failures() {
  static int count = 0;
  return count;
}

}  // namespace passerelle::gateway::test

// Runs every test, or those whose name contains argv[1].
int main(int argc, char** argv) {
  using namespace passerelle::gateway::test;
  int ran = 0;
  for (TestCase* t = registry(); t != nullptr; t = t->next) {
    if (argc > 1 && std::strstr(t->name, argv[1]) == nullptr) continue;
    int before = failures();
    t->run();
    ran++;
    std::fprintf(stderr, "%s %s\n", failures() == before ? "ok  " : "FAIL", t->name);
  }
  std::fprintf(stderr, "%d tests, %d failed checks\n", ran, failures());
  return failures() == 0 && ran > 0 ? 0 : 1;
}
