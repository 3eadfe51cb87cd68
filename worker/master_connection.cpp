#include "worker/master_connection.h"

#include <netdb.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "common/curve_keys.h"
#include "proto/limits.h"

namespace zfan::worker {
namespace {

constexpr size_t kMaxWorkerIdBytes = 255;  // a ZeroMQ routing id
constexpr int kHandshakeFailuresToReport = 3;
constexpr const char* kMonitorEndpoint = "inproc://tasks-monitor";

Status CheckResolvable(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (res) freeaddrinfo(res);
  if (rc != 0) return IoError("cannot resolve master host '" + host + "': " + gai_strerror(rc));
  return Status::Ok();
}

}  // namespace

// CURVE client on all three sockets: the handshake succeeds only with the master whose public key
// we were given, and only if that master admits our key. There is no plaintext fallback.
Status MasterConnection::Secure() {
  if (opt_.curve_secret.empty() && opt_.master_key.empty()) return Status::Ok();
  if (opt_.curve_secret.empty() || opt_.master_key.empty()) {
    return UsageError(
        "CURVE needs both --curve-secret FILE (this worker's PREFIX.key_secret from zfan keygen) "
        "and --master-key FILE (the master's public PREFIX.key)");
  }
  auto keys = ReadSecretCertificate(opt_.curve_secret);
  if (!keys.ok()) return keys.status();
  auto master_key = ReadPublicKey(opt_.master_key);
  if (!master_key.ok()) return master_key.status();
  for (zmq::socket_t* s : {&tasks_, &results_, &control_}) {
    s->set(zmq::sockopt::curve_serverkey, *master_key);
    s->set(zmq::sockopt::curve_publickey, keys->public_z85);
    s->set(zmq::sockopt::curve_secretkey, keys->secret_z85);
  }
  return Status::Ok();
}

Status MasterConnection::Connect(const std::string& id) {
  auto ep = ParseEndpoint(opt_.endpoint);
  if (!ep.ok()) return ep.status();
  endpoints_ = *ep;
  if (Status s = CheckResolvable(endpoints_.host); !s.ok()) return s;
  if (id.empty() || id.size() > kMaxWorkerIdBytes || id[0] == '\0') {
    return UsageError("--id must be 1 to 255 bytes (it is this worker's address at the master)");
  }
  const auto& limits = proto::DefaultLimits();
  // Few batches buffered here: the master's credit for us, not our pipe, decides our work.
  Tune(tasks_, {.recv_hwm = 2, .max_msg_bytes = static_cast<int64_t>(limits.max_frame_bytes)});
  tasks_.set(zmq::sockopt::routing_id, id);
  Tune(results_, {.send_hwm = 100000, .linger_ms = 2000});       // BYE and last results, bounded
  Tune(control_, {.recv_hwm = 1000, .max_msg_bytes = 1 << 20});  // standby lists of many ids
  control_.set(zmq::sockopt::subscribe, "");
  for (zmq::socket_t* s : {&tasks_, &results_, &control_}) s->set(zmq::sockopt::ipv6, 1);
  if (Status s = Secure(); !s.ok()) return s;
  // HELLO goes out when the tasks socket has completed its handshake: a master that counts this
  // worker can then really hand it tasks (results queue in the PUSH pipe until theirs is up).
  zmq_socket_monitor(tasks_.handle(), kMonitorEndpoint,
                     ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                         ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
  monitor_.connect(kMonitorEndpoint);
  try {
    tasks_.connect(endpoints_.tasks());
    results_.connect(endpoints_.results());
    control_.connect(endpoints_.control());
  } catch (const zmq::error_t& e) {
    return IoError("cannot connect to " + opt_.endpoint + ": " + e.what());
  }
  return Status::Ok();
}

std::optional<MasterConnection::Event> MasterConnection::NextEvent() {
  while (auto frames = TryRecvFrames(monitor_)) {
    if (frames->empty() || (*frames)[0].size() < 2) continue;
    uint16_t event;
    std::memcpy(&event, (*frames)[0].data(), 2);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      connected_ = true;
      handshake_failures_ = 0;
      spdlog::info("connected to the master at {}", opt_.endpoint);
      return Event::kConnected;
    }
    if (event == ZMQ_EVENT_DISCONNECTED) {
      // Standby's own leaving is no loss (results still flow), nor a drop we reported already.
      if (left_tasks_ || !connected_) continue;
      connected_ = false;
      return Event::kDisconnected;
    }
    ReportHandshakeFailure(event);
  }
  return std::nullopt;
}

// Refused (AUTH), the wrong mechanism (PROTOCOL), or failing again and again (a master that went
// away mid-handshake explains one): say why once, and keep trying.
void MasterConnection::ReportHandshakeFailure(uint16_t event) {
  if (handshake_failure_logged_) return;
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL &&
      ++handshake_failures_ < kHandshakeFailuresToReport) {
    return;
  }
  handshake_failure_logged_ = true;
  spdlog::error(
      "the master at {} refused the connection: {} (still trying)", opt_.endpoint,
      opt_.curve_secret.empty()
          ? "it requires CURVE keys (give --curve-secret and --master-key)"
          : "it does not hold the key in --master-key, or does not list this worker's key");
}

// Leaving the tasks socket is what makes standby real: the master's ROUTER can address only
// connected peers. The results and control sockets stay, so heartbeats keep the worker alive.
void MasterConnection::LeaveTasks() {
  if (left_tasks_) return;
  tasks_.disconnect(endpoints_.tasks());
  left_tasks_ = true;
}

void MasterConnection::RejoinTasks() {
  if (!left_tasks_) return;
  left_tasks_ = false;
  tasks_.connect(endpoints_.tasks());
}

}  // namespace zfan::worker
