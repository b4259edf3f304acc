// A data-plane worker: one thread, one event loop, one listening socket on the tunnel port
// (SO_REUSEPORT), and everything its connections own (docs/gateway-dataplane.md, "Threads").
// Other threads talk to it only through Post(); its tables, connections and flows are touched
// by its own thread alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../admission/caps.h"
#include "../admission/front_door.h"
#include "../admission/tables.h"
#include "byte_queue.h"
#include "events.h"
#include "loop.h"
#include "settings.h"
#include "upcall.h"

namespace passerelle::gateway {

class Connection;
class IcmpEcho;
class ControlThread;

// State shared by every worker of the process.
struct SharedState {
  admission::Admission admission;  // client connections (the front door)
  admission::DescriptorBudget descriptors;  // flow sockets
  std::atomic<int64_t> unauthenticated_bytes{0};  // request bytes held before login
  std::vector<class Worker*> workers;  // for closes the front door asks of another worker
};

class Worker : public core::IoHandler {
 public:
  // `listen_fd` is a bound, listening, non-blocking socket; `icmp` may be null (no ICMP
  // socket could be opened: connect-ip then answers 502).
  Worker(uint32_t index, int listen_fd, std::unique_ptr<IcmpEcho> icmp, SharedState* shared,
         ControlThread* control);
  ~Worker() override;

  void Start(std::shared_ptr<const Settings> settings);
  // Closes the listener and every connection (their flows end and are reported), then stops
  // the loop; the thread is joined by Join().
  void RequestStop();
  void Join();

  // From any thread: run `command` on this worker's thread.
  void Post(std::function<void()> command) { loop_.Post(std::move(command)); }

  // The rest: on the worker's thread only.
  core::EventLoop& loop() { return loop_; }
  const Settings& settings() const { return *settings_; }
  void set_settings(std::shared_ptr<const Settings> settings) { settings_ = std::move(settings); }
  admission::Tables& tables() { return tables_; }
  core::BlockPool& pool() { return pool_; }
  Events& events() { return events_; }
  SharedState& shared() { return *shared_; }
  IcmpEcho* icmp() { return icmp_.get(); }
  uint32_t index() const { return index_; }
  // Wall-clock milliseconds since the epoch, now (session expiry: a cached value could be a
  // whole idle period old).
  static uint64_t wall_ms();
  // Scratch space for one operation at a time (reading a datagram, formatting a response).
  uint8_t* scratch() { return scratch_.get(); }
  static constexpr size_t kScratchSize = 65536 + 64;

  uint64_t SendApiRequest(UpcallClient* client, ApiRequest&& request);
  uint64_t Resolve(UpcallClient* client, const std::string& host);
  void CancelUpcall(uint64_t id);
  // The control thread delivers answers here (on this thread).
  void DeliverApiResponse(uint64_t id, ApiResponse&& response);
  void DeliverResolution(uint64_t id, Resolution&& resolution);

  // Connections register and unregister themselves.
  void AddConnection(Connection* connection);
  void RemoveConnection(Connection* connection);
  // Closes a connection the front door evicted (of this worker or another).
  void Evict(const admission::Eviction& eviction);
  // The flow sockets' cap, with the refusal a client gets past it.
  const std::shared_ptr<const admission::ReservedList>& reserved() const { return reserved_; }
  void set_reserved(std::shared_ptr<const admission::ReservedList> reserved) {
    reserved_ = std::move(reserved);
  }
  // Flushed at the end of this loop turn (Connection::MarkDirty).
  void AddDirty(Connection* connection) { dirty_.push_back(connection); }

  void OnIo(uint32_t events) override;  // the listening socket

 private:
  void Run();
  void Accept();
  void OnTurnEnd();
  uint64_t NextUpcallId();

  uint32_t index_;
  int listen_fd_;
  core::EventLoop loop_;
  core::EventLoop::Watch* listen_watch_ = nullptr;
  std::unique_ptr<IcmpEcho> icmp_;
  SharedState* shared_;
  ControlThread* control_;
  std::shared_ptr<const Settings> settings_;
  admission::Tables tables_;
  core::BlockPool pool_;
  Events events_;
  std::unique_ptr<uint8_t[]> scratch_;
  uint64_t upcall_counter_ = 0;
  std::unordered_map<uint64_t, UpcallClient*> upcalls_;
  std::unordered_map<uint64_t, Connection*> connections_;
  uint64_t next_connection_ = 0;
  std::vector<Connection*> dirty_;
  std::shared_ptr<const admission::ReservedList> reserved_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace passerelle::gateway
