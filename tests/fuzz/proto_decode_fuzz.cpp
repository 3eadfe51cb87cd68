// libFuzzer target for zfan::proto::Decode, the first code to touch bytes from the network. Checks
// that a decoded message re-encodes to frames that decode to the same message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/messages.h"
#include "tests/fuzz/fuzz_frames.h"

namespace {

// Small limits keep each run cheap and reach the limit checks with short inputs; the real limits
// are exercised by the unit tests.
zfan::proto::DecodeLimits FuzzLimits() {
  zfan::proto::DecodeLimits limits;
  limits.max_array = 256;
  limits.max_str = 4096;
  limits.max_bin = 4096;
  limits.max_frames = 33;
  limits.max_frame_bytes = 8192;
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zfan::proto;
  using zfan::Result;
  static const DecodeLimits limits = FuzzLimits();
  Frames frames = zfan::fuzz::SplitFrames({reinterpret_cast<const char*>(data), size});

  for (const DecodeLimits* l : {&DefaultLimits(), &limits}) {
    Result<Message> decoded = Decode(frames, *l);
    if (!decoded.ok()) {
      if (decoded.status().code() != zfan::ErrorCode::kProtocol) __builtin_trap();
      if (decoded.status().message().empty()) __builtin_trap();
      continue;
    }
    // Only RESULT (bodies, thumbnails) and BODY (a piece) carry extra frames.
    const bool carries_frames =
        std::holds_alternative<Results>(*decoded) || std::holds_alternative<Body>(*decoded);
    if (frames.size() != 1 && !carries_frames) __builtin_trap();
    Frames encoded = Encode(*decoded);
    Result<Message> again = Decode(encoded);
    if (!again.ok()) __builtin_trap();
    // Encoding is deterministic, so equal encodings mean equal messages.
    if (Encode(*again) != encoded) __builtin_trap();
  }
  return 0;
}
