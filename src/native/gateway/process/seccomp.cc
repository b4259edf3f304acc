#include "seccomp.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace passerelle::gateway {

namespace {

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "seccomp filter: add this architecture"
#endif

const int kAllowed[] = {
    // I/O on descriptors the process has
    SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_close,
#ifdef SYS_fstat
    SYS_fstat,
#endif
#ifdef SYS_newfstatat
    SYS_newfstatat,
#endif
    SYS_lseek, SYS_fcntl,
    // the event loop
    SYS_epoll_ctl, SYS_epoll_pwait,
#ifdef SYS_epoll_wait
    SYS_epoll_wait,
#endif
    // sockets (socket() itself is checked below: IPv4 only)
    SYS_connect, SYS_accept4, SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_sendmmsg,
    SYS_recvmmsg, SYS_shutdown, SYS_setsockopt, SYS_getsockopt, SYS_getsockname,
    SYS_getpeername,
    // memory
    SYS_mmap, SYS_munmap, SYS_mremap, SYS_mprotect, SYS_madvise, SYS_brk,
    // threads already running, time, randomness, signals for abort()
    SYS_futex, SYS_sched_yield, SYS_nanosleep, SYS_clock_nanosleep, SYS_clock_gettime,
    SYS_gettimeofday, SYS_getpid, SYS_gettid, SYS_tgkill, SYS_getrandom, SYS_rt_sigreturn,
    SYS_rt_sigprocmask, SYS_restart_syscall, SYS_exit, SYS_exit_group,
#ifdef SYS_rseq
    SYS_rseq,
#endif
};

void OnSigsys(int, siginfo_t* info, void*) {
  char message[96];
  int n = snprintf(message, sizeof message,
                   "passerelle data plane: system call %d is not allowed (seccomp)\n",
                   info->si_syscall);
  if (n > 0) [[maybe_unused]] ssize_t w = write(2, message, static_cast<size_t>(n));
  abort();
}

}  // namespace

bool InstallSeccomp(SeccompMode mode, std::string* error) {
  if (mode == SeccompMode::kOff) return true;
  const uint32_t refuse =
      mode == SeccompMode::kTrap ? SECCOMP_RET_TRAP : (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
  if (mode == SeccompMode::kTrap) {
    struct sigaction action = {};
    action.sa_sigaction = OnSigsys;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &action, nullptr);
  }
  std::vector<sock_filter> program;
  auto add = [&](sock_filter f) { program.push_back(f); };
  // Another architecture's system-call numbers mean nothing here: kill.
  add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0));
  add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  for (int call : kAllowed) {
    add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(call), 0, 1));
    add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  }
  // socket(AF_INET, ...) only.
  add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 3));
  add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
  add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 0, 1));
  add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  add(BPF_STMT(BPF_RET | BPF_K, refuse));
  struct sock_fprog filter = {static_cast<unsigned short>(program.size()), program.data()};
  // Every thread of the process, the workers included.
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &filter) != 0) {
    *error = std::string("seccomp: ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace passerelle::gateway
