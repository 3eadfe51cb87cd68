// Number helpers shared by the CPU jobs: chunked ranges, range payloads, 128-bit decimals,
// and command-line counts written as 1e9 or 2500000.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace zfan::jobs {

using u128 = unsigned __int128;

struct Range {
  uint64_t lo = 0;
  uint64_t hi = 0;  // exclusive
};

uint64_t ChunkCount(Range all, uint64_t chunk);
Range ChunkAt(Range all, uint64_t chunk, uint64_t index);

// 16 bytes, little endian lo then hi.
std::string EncodeRange(Range r);
std::optional<Range> DecodeRange(const std::string& payload);

std::string U128ToString(u128 v);
std::optional<u128> ParseU128(const std::string& s);

// Parses "2500000", "1e9", "2.5e6", "10_000_000" into an exact integer.
Result<uint64_t> ParseCount(const std::string& text, const std::string& flag);

}  // namespace zfan::jobs
