// passerelle_gateway: the gateway's data plane (docs/gateway-dataplane.md). Started by the
// TypeScript control plane (src/native/gateway.ts) with the control channel on fd 3:
//   1. read CONFIGURE; open the listening sockets (one per worker, SO_REUSEPORT) and the
//      ICMP sockets while the process may;
//   2. drop every capability, set no_new_privs, install the seccomp allow-list;
//   3. start the workers, answer READY, and serve until SHUTDOWN or the channel closes.
// `passerelle_gateway --version` prints the libraries it runs with and exits.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "admission/target.h"
#include "control/control_thread.h"
#include "control/messages.h"
#include "flows/icmp_echo.h"
#include "library_info.h"
#include "process/privilege.h"
#include "process/seccomp.h"
#include "worker/worker.h"

using namespace passerelle;
using namespace passerelle::gateway;

namespace {

constexpr int kControlFd = 3;

std::vector<uint8_t> Fatal(const std::string& message) {
  std::vector<uint8_t> out;
  control::Writer w(&out);
  w.begin(static_cast<uint8_t>(control::Up::kFatal));
  w.str(message);
  w.end();
  return out;
}

// One listening socket per worker on the same address (the kernel spreads connections).
bool OpenListeners(const Configure& configure, size_t count, std::vector<int>* fds,
                   uint16_t* port, std::string* error) {
  uint32_t address;
  if (!admission::parse_ipv4(configure.listen_host, &address)) {
    *error = "listen host \"" + configure.listen_host + "\" is not an IPv4 address";
    return false;
  }
  *port = configure.listen_port;
  for (size_t i = 0; i < count; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in at = {};
    at.sin_family = AF_INET;
    at.sin_port = htons(*port);
    at.sin_addr.s_addr = htonl(address);
    if (fd < 0 || bind(fd, reinterpret_cast<struct sockaddr*>(&at), sizeof at) != 0 ||
        listen(fd, 4096) != 0) {
      *error = "cannot listen on " + configure.listen_host + ":" + std::to_string(*port) + ": " +
               strerrorname_np(errno) + " (" + std::strerror(errno) + ")";
      if (fd >= 0) close(fd);
      for (int open : *fds) close(open);
      return false;
    }
    if (*port == 0) {
      socklen_t length = sizeof at;
      getsockname(fd, reinterpret_cast<struct sockaddr*>(&at), &length);
      *port = ntohs(at.sin_port);
    }
    fds->push_back(fd);
  }
  return true;
}

SeccompMode SeccompModeFromEnvironment() {
  const char* value = std::getenv("PASSERELLE_SECCOMP");
  if (value == nullptr || std::strcmp(value, "enforce") == 0) return SeccompMode::kEnforce;
  if (std::strcmp(value, "trap") == 0) return SeccompMode::kTrap;
  return SeccompMode::kOff;
}

int PrintVersion() {
  core::LibraryInfo info = core::DescribeLibraries();
  std::printf("{\"openssl\":\"%s\",\"nghttp2\":\"%s\",\"bindings\":{", info.openssl_version.c_str(),
              info.nghttp2_version.c_str());
  for (size_t i = 0; i < info.bindings.size(); i++) {
    std::printf("%s\"%s\":\"%s\"", i ? "," : "", info.bindings[i].first.c_str(),
                info.bindings[i].second.c_str());
  }
  std::printf("}}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) return PrintVersion();
  // The data plane never outlives the control plane that steers it.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  if (fcntl(kControlFd, F_GETFD) < 0) {
    std::fprintf(stderr, "passerelle_gateway: no control channel on fd %d (started by hand?)\n",
                 kControlFd);
    return 2;
  }
  fcntl(kControlFd, F_SETFD, FD_CLOEXEC);
  ControlThread control(kControlFd);

  uint8_t type;
  std::vector<uint8_t> fields;
  std::string error;
  if (!control.ReadMessage(&type, &fields, &error)) {
    std::fprintf(stderr, "passerelle_gateway: %s\n", error.c_str());
    return 1;
  }
  Configure configure;
  control::Reader reader(fields.data(), fields.size());
  if (type != static_cast<uint8_t>(control::Down::kConfigure) ||
      !DecodeConfigure(&reader, &configure)) {
    control.WriteNow(Fatal("the first message was not a valid CONFIGURE"));
    return 1;
  }
  std::shared_ptr<const Settings> settings = MakeSettings(configure, &error);
  if (!settings) {
    control.WriteNow(Fatal("TLS: " + error));
    return 1;
  }
  size_t threads = configure.threads;
  if (threads == 0) threads = std::thread::hardware_concurrency();
  if (threads == 0) threads = 1;
  if (threads > 64) threads = 64;

  std::vector<int> listeners;
  uint16_t port = 0;
  if (!OpenListeners(configure, threads, &listeners, &port, &error)) {
    control.WriteNow(Fatal(error));
    return 1;
  }
  std::vector<std::unique_ptr<IcmpEcho>> icmp;
  // Raw sockets: one identifier per worker, consecutive from a random start, so that no two
  // workers' sockets take each other's replies.
  uint16_t first_identifier = 0x5041;
  if (getrandom(&first_identifier, sizeof first_identifier, 0) != sizeof first_identifier) {
    first_identifier = 0x5041;
  }
  for (size_t i = 0; i < threads; i++) {
    std::string icmp_error;
    icmp.push_back(IcmpEcho::Open(static_cast<uint16_t>(first_identifier + i), &icmp_error));
    if (!icmp.back() && i == 0) {
      std::fprintf(stderr, "passerelle data plane: connect-ip will answer 502: %s\n",
                   icmp_error.c_str());
    }
  }
  // Room for every descriptor the caps allow.
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (!DropPrivileges(&error)) {
    control.WriteNow(Fatal("cannot drop privileges: " + error));
    return 1;
  }

  SharedState shared;
  shared.descriptors.SetLimits(static_cast<int32_t>(settings->get(control::Limit::kFlowsTotal)),
                               static_cast<int32_t>(settings->get(control::Limit::kFlowsPerUser)));
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<Worker*> raw;
  for (size_t i = 0; i < threads; i++) {
    workers.push_back(std::make_unique<Worker>(static_cast<uint32_t>(i), listeners[i],
                                               std::move(icmp[i]), &shared, &control));
    raw.push_back(workers.back().get());
  }
  shared.workers = raw;
  for (auto& worker : workers) worker->Start(settings);
  if (!InstallSeccomp(SeccompModeFromEnvironment(), &error)) {
    control.WriteNow(Fatal(error));
    _exit(1);
  }

  core::LibraryInfo libraries = core::DescribeLibraries();
  std::vector<uint8_t> ready;
  control::Writer w(&ready);
  w.begin(static_cast<uint8_t>(control::Up::kReady));
  w.u16(port);
  w.u16(static_cast<uint16_t>(threads));
  w.str(libraries.openssl_version);
  w.str(libraries.nghttp2_version);
  w.end();
  control.WriteNow(ready);
  fcntl(kControlFd, F_SETFL, fcntl(kControlFd, F_GETFL) | O_NONBLOCK);
  control.Run(std::move(raw), &shared, settings);
  return 0;
}
