#include "jobs/numbers.h"

#include <cstring>

namespace zfan::jobs {

uint64_t ChunkCount(Range all, uint64_t chunk) {
  if (all.hi <= all.lo || chunk == 0) return 0;
  uint64_t span = all.hi - all.lo;
  return span / chunk + (span % chunk != 0);
}

Range ChunkAt(Range all, uint64_t chunk, uint64_t index) {
  uint64_t lo = all.lo + index * chunk;
  uint64_t hi = (all.hi - lo > chunk) ? lo + chunk : all.hi;
  return {lo, hi};
}

void ChunkPlan::Add(uint64_t& lo, uint64_t size, uint64_t count) {
  if (count == 0) return;
  runs_.push_back({lo, size, count});
  count_ += count;
  // The plan's last run may overshoot all_.hi (its last chunk is clipped): saturate.
  lo = (all_.hi - lo) / size >= count ? lo + size * count : all_.hi;
}

ChunkPlan ChunkPlan::Fixed(Range all, uint64_t chunk) {
  ChunkPlan plan;
  plan.all_ = all;
  plan.description_ = "chunk=" + std::to_string(chunk);
  uint64_t lo = all.lo;
  plan.Add(lo, chunk, ChunkCount(all, chunk));
  return plan;
}

ChunkPlan ChunkPlan::Guided(Range all, uint64_t min_chunk, uint64_t max_chunk) {
  ChunkPlan plan;
  plan.all_ = all;
  plan.guided_ = true;
  plan.description_ =
      "guided min=" + std::to_string(min_chunk) + " max=" + std::to_string(max_chunk);
  if (all.hi <= all.lo) return plan;
  constexpr uint64_t kPerHalf = 2 * kGuidedRound;  // a round's chunk: 1/8 of what is left
  uint64_t lo = all.lo;
  // Capped start: whole chunks of max_chunk while a round's chunk would exceed it.
  if ((all.hi - lo) / kPerHalf > max_chunk) {
    plan.Add(lo, max_chunk, (all.hi - lo - kPerHalf * max_chunk) / max_chunk);
  }
  for (;;) {
    uint64_t left = all.hi - lo;
    uint64_t size = left / kPerHalf + (left % kPerHalf != 0);
    if (size < min_chunk || size * kGuidedRound > left) break;
    plan.Add(lo, std::min(size, max_chunk), kGuidedRound);
  }
  plan.Add(lo, min_chunk, ChunkCount({lo, all.hi}, min_chunk));
  return plan;
}

Range ChunkPlan::at(uint64_t index) const {
  for (const Run& run : runs_) {
    if (index < run.count) {
      uint64_t lo = run.lo + index * run.size;
      return {lo, all_.hi - lo > run.size ? lo + run.size : all_.hi};
    }
    index -= run.count;
  }
  return {all_.hi, all_.hi};  // out of range: empty
}

std::string EncodeRange(Range r) {
  std::string out(16, '\0');
  std::memcpy(out.data(), &r.lo, 8);  // x86-64 and aarch64 are little endian
  std::memcpy(out.data() + 8, &r.hi, 8);
  return out;
}

std::optional<Range> DecodeRange(const std::string& payload) {
  if (payload.size() != 16) return std::nullopt;
  Range r;
  std::memcpy(&r.lo, payload.data(), 8);
  std::memcpy(&r.hi, payload.data() + 8, 8);
  if (r.hi < r.lo) return std::nullopt;
  return r;
}

std::string U128ToString(u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return s;
}

std::optional<u128> ParseU128(const std::string& s) {
  if (s.empty() || s.size() > 39) return std::nullopt;
  u128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    u128 next = v * 10 + static_cast<unsigned>(c - '0');
    if (next / 10 != v) return std::nullopt;  // overflow
    v = next;
  }
  return v;
}

Result<uint64_t> ParseCount(const std::string& text, const std::string& flag) {
  std::string digits;
  for (char c : text) {
    if (c != '_' && c != ',') digits += c;
  }
  auto bad = [&] {
    return UsageError(flag + " '" + text +
                      "' is not a whole number (examples: 2500000, 1e9, 2.5e6)");
  };
  auto e = digits.find_first_of("eE");
  std::string mantissa = digits.substr(0, e);
  uint64_t exponent = 0;
  if (e != std::string::npos) {
    auto ex = ParseU128(digits.substr(e + 1));
    if (!ex || *ex > 19) return bad();
    exponent = static_cast<uint64_t>(*ex);
  }
  auto dot = mantissa.find('.');
  std::string int_part = mantissa.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : mantissa.substr(dot + 1);
  if (int_part.empty() && frac.empty()) return bad();  // "e9" has no digits
  if (frac.size() > exponent) return bad();            // 2.55e1 is not whole
  std::string all = int_part + frac + std::string(exponent - frac.size(), '0');
  auto v = ParseU128(all);
  if (!v || *v > UINT64_MAX) return bad();
  return static_cast<uint64_t>(*v);
}

}  // namespace zfan::jobs
