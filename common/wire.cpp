#include "common/wire.h"

namespace zfan {

namespace {

// Below this a copy is cheaper than a heap-held string and ZeroMQ's free callback.
constexpr size_t kZeroCopyMinBytes = 64 * 1024;

void FreeOwnedString(void* /*data*/, void* owner) { delete static_cast<std::string*>(owner); }

void FreeMessage(void* message) { delete static_cast<zmq::message_t*>(message); }

// A small frame is copied (and its message reused); a large one keeps ZeroMQ's buffer.
Bytes ToBytes(zmq::message_t&& msg) {
  if (msg.size() < kZeroCopyMinBytes) return std::string(msg.data<char>(), msg.size());
  auto* kept = new zmq::message_t(std::move(msg));
  return Bytes::Adopt(kept->data(), kept->size(), kept, FreeMessage);
}

zmq::message_t ToMessage(std::string&& frame) {
  if (frame.size() < kZeroCopyMinBytes) return zmq::message_t(frame);
  auto* owned = new std::string(std::move(frame));
  return zmq::message_t(owned->data(), owned->size(), FreeOwnedString, owned);
}

}  // namespace

bool SendFrames(zmq::socket_t& socket, WireFrames frames, bool dontwait) {
  for (size_t i = 0; i < frames.size(); ++i) {
    auto flags = zmq::send_flags::none;
    if (i + 1 < frames.size()) flags = flags | zmq::send_flags::sndmore;
    // Only the first frame may fail with EAGAIN; later frames of a message are queued atomically.
    if (dontwait && i == 0) flags = flags | zmq::send_flags::dontwait;
    zmq::message_t msg = ToMessage(std::move(frames[i]));
    if (!socket.send(msg, flags)) return false;
  }
  return true;
}

std::optional<ReceivedWireFrames> TryRecvFrames(zmq::socket_t& socket, ReceivedFrom* from) {
  ReceivedWireFrames frames;
  zmq::message_t msg;
  if (!socket.recv(msg, zmq::recv_flags::dontwait)) return std::nullopt;
  if (from) {
    const char* addr = zmq_msg_gets(msg.handle(), "Peer-Address");
    from->peer = addr ? addr : "unknown peer";
    const char* user = zmq_msg_gets(msg.handle(), "User-Id");
    from->user_id = user ? user : "";
  }
  bool more = msg.more();
  frames.push_back(ToBytes(std::move(msg)));
  while (more) {
    zmq::message_t part;
    (void)socket.recv(part, zmq::recv_flags::none);  // parts of a message arrive together
    more = part.more();
    frames.push_back(ToBytes(std::move(part)));
  }
  return frames;
}

void Tune(zmq::socket_t& socket, const SocketTuning& t) {
  socket.set(zmq::sockopt::sndhwm, t.send_hwm);
  socket.set(zmq::sockopt::rcvhwm, t.recv_hwm);
  socket.set(zmq::sockopt::maxmsgsize, t.max_msg_bytes);
  socket.set(zmq::sockopt::immediate, t.immediate ? 1 : 0);
  socket.set(zmq::sockopt::linger, t.linger_ms);
}

}  // namespace zfan
