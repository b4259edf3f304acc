// Questions a worker asks the control plane and whose answers come back later on the worker's
// thread: an API request (login, configuration, logout) and a host-name resolution.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace passerelle::gateway {

struct ApiRequest {
  std::string method;
  std::string path;
  bool has_authorization = false;
  std::string authorization;
  bool has_content_type = false;
  std::string content_type;
  std::vector<uint8_t> body;
  std::string source_address;
};

struct ApiResponse {
  uint16_t status = 500;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The request showed a valid session or created one: its connection has logged in.
  bool authenticated = false;
};

struct Resolution {
  bool ok = false;
  uint32_t address = 0;
  std::string error;  // e.g. "ENOTFOUND", for the 502's details
};

// Whoever waits for an answer. Cancel the call (Worker::CancelUpcall) before going away.
class UpcallClient {
 public:
  virtual void OnApiResponse(ApiResponse&& response) { (void)response; }
  virtual void OnResolved(Resolution&& resolution) { (void)resolution; }

 protected:
  ~UpcallClient() = default;
};

}  // namespace passerelle::gateway
