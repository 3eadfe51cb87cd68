// The fuzz input <-> multipart message mapping shared by proto_decode_fuzz and its seed generator:
// each frame is a 2-byte little-endian length and that many bytes; a length running past the end
// takes what is left. So one input reaches every frame count, RESULT bulk frames included.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/messages.h"

namespace zfan::fuzz {

inline constexpr size_t kMaxFuzzFrames = 64;

inline proto::Frames SplitFrames(std::string_view input) {
  proto::Frames frames;
  while (!input.empty() && frames.size() < kMaxFuzzFrames) {
    size_t length = static_cast<uint8_t>(input[0]);
    if (input.size() > 1) length |= size_t{static_cast<uint8_t>(input[1])} << 8;
    input.remove_prefix(input.size() > 1 ? 2 : 1);
    std::string_view frame = input.substr(0, length);
    frames.emplace_back(frame);
    input.remove_prefix(frame.size());
  }
  return frames;
}

// REQUIRES: every frame is shorter than 64 KiB and there are at most kMaxFuzzFrames.
inline std::string JoinFrames(const proto::Frames& frames) {
  std::string input;
  for (const std::string& frame : frames) {
    input += static_cast<char>(frame.size() & 0xff);
    input += static_cast<char>((frame.size() >> 8) & 0xff);
    input += frame;
  }
  return input;
}

}  // namespace zfan::fuzz
