// The master's ZAP handler (ZeroMQ RFC 27): a thread answering libzmq's authentication requests
// for every CURVE handshake on the master's sockets. It admits only keys on the allowlist and
// gives each connection the key as its User-Id, so the sink can tell who sent a message.
#pragma once
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <zmq.hpp>

#include "master/authorized_workers.h"

namespace zfan::master {

class ZapHandler {
 public:
  // Binds the handler's endpoint in `ctx` before returning: create it before any CURVE socket
  // binds, or libzmq would let handshakes through unchecked.
  ZapHandler(zmq::context_t& ctx, AuthorizedWorkers allowed);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Replaces the allowlist (SIGHUP); returns the keys that were on it and no longer are.
  std::set<std::string> Replace(AuthorizedWorkers allowed);
  bool Admits(const std::string& key) const;
  uint64_t refused() const { return refused_.load(); }

 private:
  void Serve();
  void Answer(zmq::socket_t& socket);

  zmq::socket_t socket_;
  mutable std::mutex mu_;
  AuthorizedWorkers allowed_;                             // GUARDED_BY(mu_)
  std::set<std::pair<std::string, std::string>> logged_;  // (key, address); serve thread only
  std::atomic<uint64_t> refused_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace zfan::master
