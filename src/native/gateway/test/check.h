// A minimal test harness for the gateway's standalone native tests: CHECK records a failure
// with its file and line and carries on, so one run lists every broken expectation; main()
// (test_main.cc) runs every registered test and exits non-zero if any check failed.
#pragma once

#include <cstdio>
#include <string_view>

namespace passerelle::gateway::test {

struct TestCase {
  const char* name;
  void (*run)();
  TestCase* next;
};

TestCase*& registry();
int& failures();

struct Register {
  Register(TestCase* test) {
    test->next = registry();
    registry() = test;
  }
};

}  // namespace passerelle::gateway::test

#define TEST(name)                                                                  \
  static void test_##name();                                                        \
  static ::passerelle::gateway::test::TestCase test_case_##name{#name, test_##name, \
                                                                nullptr};           \
  static ::passerelle::gateway::test::Register test_register_##name(&test_case_##name); \
  static void test_##name()

#define CHECK(condition)                                                        \
  do {                                                                          \
    if (!(condition)) {                                                         \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      ::passerelle::gateway::test::failures()++;                                \
    }                                                                           \
  } while (0)

#define CHECK_EQ(a, b) CHECK((a) == (b))
