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
