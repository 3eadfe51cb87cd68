// Number helpers shared by the CPU jobs: chunked ranges, range payloads, 128-bit decimals,
// and command-line counts written as 1e9 or 2500000.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace zfan::jobs {

using u128 = unsigned __int128;

struct Range {
  uint64_t lo = 0;
  uint64_t hi = 0;  // exclusive
};

uint64_t ChunkCount(Range all, uint64_t chunk);
Range ChunkAt(Range all, uint64_t chunk, uint64_t index);

// How a range is cut into tasks. Chunk `index`'s bounds depend only on the plan's parameters and
// the index, so a task id names the same numbers in every run (the journal and --resume rely on
// it; describe() goes into the job's fingerprint).
class ChunkPlan {
 public:
  // Chunks of `chunk` numbers, the last one possibly short. REQUIRES: chunk >= 1.
  static ChunkPlan Fixed(Range all, uint64_t chunk);
  // Guided chunks, large first and shrinking toward the end: rounds of kGuidedRound equal chunks,
  // each round taking half of what is left (chunks of at most max_chunk), until a round's chunks
  // would fall below min_chunk; the rest goes in chunks of min_chunk. Few large tasks keep each
  // one efficient; the small last ones let workers finish together. Each round has an even count
  // of chunks, so workers handed tasks in turn (PUSH round-robin) get equal shares.
  // REQUIRES: 1 <= min_chunk <= max_chunk.
  static ChunkPlan Guided(Range all, uint64_t min_chunk, uint64_t max_chunk);
  static constexpr uint64_t kGuidedRound = 4;

  uint64_t count() const { return count_; }
  Range at(uint64_t index) const;  // REQUIRES: index < count()
  uint64_t largest() const { return runs_.empty() ? 0 : runs_.front().size; }
  // "chunk=C", or "guided min=M max=X": what decides the task set, for fingerprints.
  const std::string& describe() const { return description_; }
  bool guided() const { return guided_; }

 private:
  struct Run {  // `count` chunks of `size` numbers from `lo`; the plan's last chunk is clipped
    uint64_t lo;
    uint64_t size;
    uint64_t count;
  };
  void Add(uint64_t& lo, uint64_t size, uint64_t count);

  Range all_;
  std::vector<Run> runs_;
  uint64_t count_ = 0;
  bool guided_ = false;
  std::string description_;
};

// 16 bytes, little endian lo then hi.
std::string EncodeRange(Range r);
std::optional<Range> DecodeRange(const std::string& payload);

std::string U128ToString(u128 v);
std::optional<u128> ParseU128(const std::string& s);

// Parses "2500000", "1e9", "2.5e6", "10_000_000" into an exact integer.
Result<uint64_t> ParseCount(const std::string& text, const std::string& flag);

}  // namespace zfan::jobs
