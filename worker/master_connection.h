// The worker's side of the wire to one master: the tasks (DEALER), results (PUSH) and control
// (SUB) sockets, CURVE on all three, and the tasks socket's monitor, which says when a handshake
// succeeded (the master can now hand us tasks), failed (refused: logged once, with the likely
// reason) or the connection dropped. Standby leaves and rejoins the tasks socket here.
#pragma once
#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/endpoint.h"
#include "common/status.h"
#include "common/wire.h"
#include "proto/messages.h"
#include "worker/worker.h"

namespace zfan::worker {

class MasterConnection {
 public:
  explicit MasterConnection(const WorkerOptions& options) : opt_(options) {}

  // Resolves the master's host, tunes and secures the sockets, connects them; `id` is our
  // address on the master's tasks socket.
  Status Connect(const std::string& id);

  // By value: a result's bodies then move on to ZeroMQ without a copy.
  void Send(proto::Message m) { SendFrames(results_, proto::Encode(std::move(m))); }

  enum class Event { kConnected, kDisconnected };
  // The next handshake success or connection loss the monitor reports; failures are logged here.
  std::optional<Event> NextEvent();
  bool connected() const { return connected_; }

  // Standby: off the tasks socket (the master's ROUTER can no longer address us) and back on; the
  // rejoin's handshake comes back as Event::kConnected.
  void LeaveTasks();
  void RejoinTasks();

  zmq::socket_t& tasks() { return tasks_; }
  zmq::socket_t& control() { return control_; }
  zmq::socket_t& monitor() { return monitor_; }

 private:
  Status Secure();
  void ReportHandshakeFailure(uint16_t event);

  const WorkerOptions& opt_;
  Endpoints endpoints_;
  zmq::context_t ctx_{1};
  zmq::socket_t tasks_{ctx_, zmq::socket_type::dealer};  // the master addresses us by our id
  zmq::socket_t results_{ctx_, zmq::socket_type::push};
  zmq::socket_t control_{ctx_, zmq::socket_type::sub};
  zmq::socket_t monitor_{ctx_, zmq::socket_type::pair};
  bool connected_ = false;
  bool left_tasks_ = false;     // standby: a drop of the tasks connection is our own doing
  int handshake_failures_ = 0;  // unexplained ones (NO_DETAIL) in a row
  bool handshake_failure_logged_ = false;
};

}  // namespace zfan::worker
