#include "master/master_sockets.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <thread>

#include "common/wire.h"
#include "proto/messages.h"

namespace zfan::master {
namespace {

const char* const kZapDomain = "zfan";
constexpr int kRebindTries = 50;  // x 20 ms: the closed socket's port is released asynchronously

std::string HostName() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

// Fail closed: keys without an allowlist (or the reverse) or a bad key file stop the master;
// a bind beyond loopback needs CURVE or an explicit --insecure.
Status MasterSockets::CheckSecurity() {
  const MasterOptions& o = *opt_;
  if (o.curve_secret.empty() != o.authorized_workers.empty()) {
    return UsageError(
        "CURVE needs both --curve-secret FILE (the master's PREFIX.key_secret from zfan keygen) "
        "and --authorized-workers FILE (the workers' public keys)");
  }
  if (!o.curve_secret.empty()) {
    auto keys = ReadSecretCertificate(o.curve_secret);
    if (!keys.ok()) return keys.status();
    keys_ = *keys;
    auto allowed = LoadAllowlist();
    if (!allowed.ok()) return allowed.status();
    // Before any socket binds: libzmq asks the handler about every CURVE handshake from then on.
    zap_ = std::make_unique<ZapHandler>(ctx_, std::move(allowed).value());
    return Status::Ok();
  }
  if (IsLoopbackBind(o.bind)) return Status::Ok();
  if (!o.insecure) {
    return UsageError("binding " + o.bind +
                      " without CURVE lets any host that reaches it join as a worker and send "
                      "results: give --curve-secret and --authorized-workers (see zfan keygen), "
                      "or pass --insecure on a network you trust");
  }
  spdlog::warn("--insecure: {} is bound without CURVE; anyone who reaches ports {}-{} can join",
               o.bind, o.port, o.port + 2);
  return Status::Ok();
}

// The file's keys, and the master's own: its --local-workers authenticate with its key pair.
Result<AuthorizedWorkers> MasterSockets::LoadAllowlist() const {
  auto allowed = LoadAuthorizedWorkers(opt_->authorized_workers);
  if (!allowed.ok()) return allowed.status();
  allowed->names_by_key.emplace(keys_->public_z85, "the master's own key (local workers)");
  return allowed;
}

Result<std::set<std::string>> MasterSockets::ReloadAllowlist() {
  if (!zap_) return UsageError("no --authorized-workers to reload");
  auto allowed = LoadAllowlist();
  if (!allowed.ok()) return allowed.status();
  return zap_->Replace(std::move(allowed).value());
}

void MasterSockets::Configure(zmq::socket_t& socket, bool tasks_socket) {
  socket.set(zmq::sockopt::ipv6, 1);
  if (tasks_socket) {
    // Each batch is addressed to a worker; its credit, not the HWM, bounds what waits for it.
    // MANDATORY: a batch for a worker that is not connected fails (and is requeued) instead of
    // vanishing; HANDOVER: a worker that reconnects takes its routing id over at once.
    Tune(socket, {.send_hwm = 64, .recv_hwm = 2});
    socket.set(zmq::sockopt::router_mandatory, 1);
    socket.set(zmq::sockopt::router_handover, 1);
  }
  if (!keys_) return;
  socket.set(zmq::sockopt::zap_domain, kZapDomain);
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, keys_->secret_z85);
}

std::string MasterSockets::BindUrl(int port_offset) const {
  Endpoints ep = endpoints_;
  if (IsWildcardBind(ep.host) && ep.host != "::") ep.host = "*";
  ep.base_port = static_cast<uint16_t>(ep.base_port + port_offset);
  return ep.tasks();
}

Status MasterSockets::BindOne(zmq::socket_t& socket, const std::string& url) {
  try {
    socket.bind(url);
  } catch (const zmq::error_t& e) {
    if (e.num() == EADDRINUSE) {
      return IoError("port " + url.substr(url.rfind(':') + 1) +
                     " is in use (zfan needs PORT, PORT+1 and PORT+2): choose another with --port");
    }
    return IoError("cannot bind " + url + ": " + e.what());
  }
  return Status::Ok();
}

Status MasterSockets::Bind(const MasterOptions& options) {
  opt_ = &options;
  auto ep = MakeBindEndpoints(options.bind, options.port);
  if (!ep.ok()) return ep.status();
  endpoints_ = *ep;
  if (Status s = CheckSecurity(); !s.ok()) return s;
  const auto& limits = proto::DefaultLimits();
  Configure(tasks_, true);
  Configure(results_, false);
  Tune(results_,
       {.recv_hwm = 10000, .max_msg_bytes = static_cast<int64_t>(limits.max_frame_bytes)});
  Configure(control_, false);
  Tune(control_, {.send_hwm = 1000});
  for (auto [sock, offset] : {std::pair{&tasks_, 0}, {&results_, 1}, {&control_, 2}}) {
    if (Status s = BindOne(*sock, BindUrl(offset)); !s.ok()) return s;
  }
  return Status::Ok();
}

Status MasterSockets::RebindTasks() {
  tasks_.close();
  tasks_ = zmq::socket_t(ctx_, zmq::socket_type::router);
  Configure(tasks_, true);
  Status s;
  for (int i = 0; i < kRebindTries; ++i) {
    s = BindOne(tasks_, BindUrl(0));
    if (s.ok()) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return s;
}

std::string MasterSockets::LocalEndpoint() const {
  Endpoints ep = endpoints_;
  if (IsWildcardBind(ep.host)) ep.host = ep.host == "::" ? "::1" : "127.0.0.1";
  return ep.tasks();
}

std::string MasterSockets::JoinInstructions() const {
  Endpoints ep = endpoints_;
  if (IsWildcardBind(ep.host)) ep.host = HostName();
  std::string command = "zfan worker " + ep.tasks();
  if (!keys_) return "start workers elsewhere with:  " + command;
  const std::string master_key = PublicCertificatePathFor(opt_->curve_secret);
  return "start workers elsewhere with:  " + command +
         " --curve-secret WORKER.key_secret --master-key " + master_key + "\n  (copy " +
         master_key +
         " to the worker; make its key with `zfan keygen --out WORKER`"
         " and add the printed public key to " +
         opt_->authorized_workers + ", then kill -HUP " + std::to_string(getpid()) + ")";
}

}  // namespace zfan::master
