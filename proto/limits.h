// Bounds on what a peer may make us allocate while decoding (msgpack unpack_limit and frame sizes).
#pragma once
#include <cstddef>

namespace zfan::proto {

struct DecodeLimits {
  size_t max_array = 1 << 16;  // items in one batch, fields in one message
  size_t max_map = 64;
  size_t max_str = 1 << 20;    // URLs, JSON params, small results
  size_t max_bin = 64u << 20;  // task payloads (sum chunk data)
  size_t max_depth = 6;
  size_t max_frames = (1 << 16) + 1;
  // The msgpack envelope (frame 0) may expand ~24x into msgpack objects while decoding, so it is
  // held far below max_frame_bytes; bulk frames are never parsed.
  size_t max_envelope_bytes = 16u << 20;
  size_t max_frame_bytes = 256u << 20;  // also set as ZMQ_MAXMSGSIZE on receiving sockets
};

inline const DecodeLimits& DefaultLimits() {
  static const DecodeLimits limits;
  return limits;
}

// What a worker accepts from its master: TASKS envelopes carry payloads inline (a sum chunk
// shipped as data is up to 32 MiB).
inline const DecodeLimits& TaskLimits() {
  static const DecodeLimits limits = [] {
    DecodeLimits l;
    l.max_envelope_bytes = 48u << 20;
    return l;
  }();
  return limits;
}

}  // namespace zfan::proto
