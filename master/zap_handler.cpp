#include "master/zap_handler.h"

#include <spdlog/spdlog.h>
#include <zmq.h>

#include <vector>

#include "common/curve_keys.h"

namespace zfan::master {
namespace {

const char* const kZapEndpoint = "inproc://zeromq.zap.01";  // fixed by RFC 27
constexpr int kPollMs = 100;                                // how soon the thread sees stop_
constexpr size_t kMaxLoggedPeers = 1000;  // beyond this, refusals are only counted

std::string Z85(const std::string& binary_key) {
  char text[41];
  if (binary_key.size() != 32 ||
      !zmq_z85_encode(text, reinterpret_cast<const uint8_t*>(binary_key.data()), 32)) {
    return "";
  }
  return text;
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& ctx, AuthorizedWorkers allowed)
    : socket_(ctx, zmq::socket_type::rep), allowed_(std::move(allowed)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind(kZapEndpoint);
  thread_ = std::thread([this] { Serve(); });
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  thread_.join();
}

std::set<std::string> ZapHandler::Replace(AuthorizedWorkers allowed) {
  std::lock_guard lock(mu_);
  std::set<std::string> removed;
  for (const auto& [key, name] : allowed_.names_by_key) {
    if (!allowed.Admits(key)) removed.insert(key);
  }
  allowed_ = std::move(allowed);
  return removed;
}

bool ZapHandler::Admits(const std::string& key) const {
  std::lock_guard lock(mu_);
  return allowed_.Admits(key);
}

// The socket belongs to this thread from here on (ZeroMQ sockets are not shared).
void ZapHandler::Serve() {
  while (!stop_) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(kPollMs)) > 0) Answer(socket_);
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      if (e.num() != EINTR) spdlog::error("ZAP handler: {}", e.what());
    }
  }
}

// Request: version, request id, domain, address, routing id, mechanism, credentials...
// Reply: version, request id, status code, status text, user id, metadata.
void ZapHandler::Answer(zmq::socket_t& socket) {
  std::vector<std::string> frames;
  bool more = true;
  while (more) {
    zmq::message_t part;
    if (!socket.recv(part, zmq::recv_flags::none)) return;
    more = part.more();
    frames.push_back(part.to_string());
  }
  std::string version = frames.size() > 0 ? frames[0] : "";
  std::string request_id = frames.size() > 1 ? frames[1] : "";
  std::string address = frames.size() > 3 ? frames[3] : "?";
  bool curve = frames.size() > 6 && frames[5] == "CURVE";
  std::string key = curve ? Z85(frames[6]) : "";
  bool ok = version == "1.0" && !key.empty() && Admits(key);
  if (!ok) {
    ++refused_;
    if (logged_.size() < kMaxLoggedPeers && logged_.insert({key, address}).second) {
      spdlog::warn("refused a worker from {} with key {}: not in the --authorized-workers list",
                   address, key.empty() ? "(none)" : KeyFingerprint(key));
    }
  }
  const std::string reply[] = {
      "1.0", request_id, ok ? "200" : "400", ok ? "OK" : "key not authorized", ok ? key : "", ""};
  for (size_t i = 0; i < std::size(reply); ++i) {
    socket.send(zmq::buffer(reply[i]),
                i + 1 < std::size(reply) ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

}  // namespace zfan::master
