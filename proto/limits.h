// Bounds on what a peer may make us allocate while decoding (msgpack unpack_limit and frame sizes).
#pragma once
#include <cstddef>

namespace zfan::proto {

struct DecodeLimits {
  size_t max_array = 1 << 16;          // items in one batch, fields in one message
  size_t max_map = 64;
  size_t max_str = 1 << 20;            // URLs, JSON params, small results
  size_t max_bin = 64u << 20;          // task payloads (sum chunk data)
  size_t max_depth = 6;
  size_t max_frames = (1 << 16) + 1;
  size_t max_frame_bytes = 256u << 20;  // also set as ZMQ_MAXMSGSIZE on receiving sockets
};

inline const DecodeLimits& DefaultLimits() {
  static const DecodeLimits limits;
  return limits;
}

}  // namespace zfan::proto
