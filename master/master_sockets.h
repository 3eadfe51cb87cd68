// The master's three sockets (tasks ROUTER, results PULL, control PUB) and how they are bound:
// the address as labs write it, IPv6, and CURVE with the ZAP handler that admits only listed
// worker keys (or plaintext on loopback, or with --insecure).
#pragma once
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <zmq.hpp>

#include "common/curve_keys.h"
#include "common/endpoint.h"
#include "common/status.h"
#include "master/master.h"
#include "master/zap_handler.h"

namespace zfan::master {

class MasterSockets {
 public:
  MasterSockets() = default;
  MasterSockets(const MasterSockets&) = delete;
  MasterSockets& operator=(const MasterSockets&) = delete;

  // Checks the security options (fail closed), starts the ZAP handler, binds all three.
  Status Bind(const MasterOptions& options);
  // Closes and binds the tasks socket again, so that every worker reconnects and passes the ZAP
  // handler anew: a key just removed from the allowlist loses its connection, hence its tasks.
  Status RebindTasks();
  // Reads --authorized-workers again (SIGHUP); returns the keys removed from the list. A bad file
  // is an error and the previous list stays.
  Result<std::set<std::string>> ReloadAllowlist();

  zmq::socket_t& tasks() { return tasks_; }
  zmq::socket_t& results() { return results_; }
  zmq::socket_t& control() { return control_; }
  const Endpoints& endpoints() const { return endpoints_; }
  // The ZAP handler, when CURVE is on (nullptr otherwise).
  ZapHandler* zap() { return zap_.get(); }
  // What to run on another machine to join, and (with CURVE) which key files to copy.
  std::string JoinInstructions() const;
  // The endpoint a worker on this machine connects to.
  std::string LocalEndpoint() const;

 private:
  Status CheckSecurity();
  Result<AuthorizedWorkers> LoadAllowlist() const;
  void Configure(zmq::socket_t& socket, bool tasks_socket);
  Status BindOne(zmq::socket_t& socket, const std::string& url);
  std::string BindUrl(int port_offset) const;

  const MasterOptions* opt_ = nullptr;
  std::optional<CurveKeyPair> keys_;
  zmq::context_t ctx_{1};
  std::unique_ptr<ZapHandler> zap_;  // after ctx_, before the sockets: outlives them, not ctx_
  zmq::socket_t tasks_{ctx_, zmq::socket_type::router};
  zmq::socket_t results_{ctx_, zmq::socket_type::pull};
  zmq::socket_t control_{ctx_, zmq::socket_type::pub};
  Endpoints endpoints_;
};

}  // namespace zfan::master
