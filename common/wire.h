// Sending and receiving whole multipart messages on cppzmq sockets, plus socket set-up shared by
// master and worker (HWMs, ZMQ_IMMEDIATE, ZMQ_MAXMSGSIZE, linger).
#pragma once
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/bytes.h"

namespace zfan {

using WireFrames = std::vector<std::string>;    // to send
using ReceivedWireFrames = std::vector<Bytes>;  // as received (large frames are not copied)

// Sends all frames; returns false if the socket would block (only with dontwait) or is closed.
// Large frames are handed to ZeroMQ without a copy (it frees them once sent): pass the frames as
// an rvalue (e.g. straight from proto::Encode) to avoid copying them into the call.
bool SendFrames(zmq::socket_t& socket, WireFrames frames, bool dontwait = false);

// Who sent a message, as ZeroMQ knows it.
struct ReceivedFrom {
  std::string peer;     // the sender's address where the transport knows it (TCP), for logging
  std::string user_id;  // the identity a ZAP handler gave the connection (the CURVE key), or ""
};

// Receives one whole multipart message without blocking; nullopt if none is waiting. `from`, if
// given, receives who sent it. A large frame keeps the buffer ZeroMQ received it into.
std::optional<ReceivedWireFrames> TryRecvFrames(zmq::socket_t& socket,
                                                ReceivedFrom* from = nullptr);

struct SocketTuning {
  int send_hwm = 1000;
  int recv_hwm = 1000;
  int64_t max_msg_bytes = -1;  // ZMQ_MAXMSGSIZE on receive; -1 = unlimited
  bool immediate = false;      // queue only to completed connections
  int linger_ms = 0;
};

void Tune(zmq::socket_t& socket, const SocketTuning& t);

}  // namespace zfan
