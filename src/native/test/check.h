// A minimal test harness for the standalone native tests (no framework to install): TEST()
// registers a function, CHECK*() record failures with file and line, main() runs them all and
// exits non-zero on any failure. Built with ASan and UBSan by the Makefile.
#pragma once

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

namespace check {

struct Test {
  const char* name;
  std::function<void()> body;
};

inline std::vector<Test>& Registry() {
  static std::vector<Test> tests;
  return tests;
}

inline int& Failures() {
  static int failures = 0;
  return failures;
}

struct Register {
  Register(const char* name, std::function<void()> body) {
    Registry().push_back({name, std::move(body)});
  }
};

template <typename T>
std::string ToText(const T& value) {
  if constexpr (std::is_enum_v<T>) {
    return std::to_string(static_cast<long long>(value));
  } else if constexpr (std::is_pointer_v<T>) {
    return value == nullptr ? "null" : "pointer";
  } else {
    return std::to_string(value);
  }
}

inline void Fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
  Failures()++;
}

inline int RunAll(int argc, char** argv) {
  int failed_tests = 0;
  for (const Test& test : Registry()) {
    if (argc > 1 && std::strstr(test.name, argv[1]) == nullptr) continue;
    const int before = Failures();
    test.body();
    const bool ok = Failures() == before;
    std::fprintf(stderr, "%s %s\n", ok ? "ok  " : "FAIL", test.name);
    if (!ok) failed_tests++;
  }
  std::fprintf(stderr, "%zu tests, %d failed\n", Registry().size(), failed_tests);
  return failed_tests == 0 ? 0 : 1;
}

}  // namespace check

#define CHECK_CONCAT2(a, b) a##b
#define CHECK_CONCAT(a, b) CHECK_CONCAT2(a, b)
#define TEST(name)                                                                   \
  static void CHECK_CONCAT(test_, name)();                                           \
  static check::Register CHECK_CONCAT(register_, name)(#name, CHECK_CONCAT(test_, name)); \
  static void CHECK_CONCAT(test_, name)()

#define CHECK(condition)                                          \
  do {                                                            \
    if (!(condition)) check::Fail(__FILE__, __LINE__, #condition); \
  } while (0)

#define CHECK_EQ(actual, expected)                                                      \
  do {                                                                                  \
    const auto check_a = (actual);                                                      \
    const auto check_e = (expected);                                                    \
    if (!(check_a == check_e))                                                          \
      check::Fail(__FILE__, __LINE__,                                                   \
                  std::string(#actual " == " #expected " (got ") + check::ToText(check_a) + \
                      ", expected " + check::ToText(check_e) + ")");                   \
  } while (0)

#define CHECK_STR(actual, expected)                                                          \
  do {                                                                                       \
    const std::string check_a = (actual);                                                    \
    const std::string check_e = (expected);                                                  \
    if (check_a != check_e)                                                                  \
      check::Fail(__FILE__, __LINE__,                                                        \
                  std::string(#actual ": got \"") + check_a + "\", expected \"" + check_e + "\""); \
  } while (0)
