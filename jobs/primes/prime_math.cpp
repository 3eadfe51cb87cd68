#include "jobs/primes/prime_math.h"

#include <algorithm>
#include <primesieve.hpp>

namespace zfan::jobs {

bool IsPrimeTrial(uint64_t n) {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 == 0) return false;
  for (uint64_t d = 3; d <= n / d; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

namespace {

ChunkPrimes TrialChunk(Range r, bool want_all) {
  ChunkPrimes out;
  for (uint64_t n = r.lo; n < r.hi; ++n) {
    if (!IsPrimeTrial(n)) continue;
    ++out.count;
    if (out.head.size() < kHeadTail) out.head.push_back(n);
    if (out.tail.size() == kHeadTail) out.tail.erase(out.tail.begin());
    out.tail.push_back(n);
    if (want_all) out.all.push_back(n);
  }
  return out;
}

enum class End { kFirst, kLast };

// The first or last kHeadTail of `primes` (ascending).
std::vector<uint64_t> AtEnd(const std::vector<uint64_t>& primes, End end) {
  const auto n = static_cast<std::ptrdiff_t>(std::min(kHeadTail, primes.size()));
  return end == End::kFirst ? std::vector<uint64_t>(primes.begin(), primes.begin() + n)
                            : std::vector<uint64_t>(primes.end() - n, primes.end());
}

// The first or last kHeadTail primes of r, sieved in a window at that end that widens until it
// holds enough. Not primesieve::iterator: its buffers come and go between count_primes calls,
// and that cost ~1.7 ms a chunk here (20 chunks of [0, 1e10): 1.13 s against 1.10 s for the
// counts alone; these windows: 1.09-1.10 s), and most near 2^64 (the 615 numbers below it:
// 21 s with iterators, 4 s with windows).
std::vector<uint64_t> PrimesAtEnd(Range r, End end) {
  const uint64_t span = r.hi - r.lo;
  std::vector<uint64_t> found;
  for (uint64_t w = std::min<uint64_t>(4096, span);; w = w > span / 4 ? span : w * 4) {
    const uint64_t lo = end == End::kLast ? r.hi - w : r.lo;
    found.clear();
    primesieve::generate_primes(lo, lo + w - 1, &found);
    if (found.size() >= kHeadTail || w == span) break;
  }
  return AtEnd(found, end);
}

ChunkPrimes SieveChunk(Range r, bool want_all) {
  ChunkPrimes out;
  if (r.hi <= r.lo) return out;
  if (want_all) {
    primesieve::generate_primes(r.lo, r.hi - 1, &out.all);
    out.count = out.all.size();
    out.head = AtEnd(out.all, End::kFirst);
    out.tail = AtEnd(out.all, End::kLast);
    return out;
  }
  out.count = primesieve::count_primes(r.lo, r.hi - 1);
  out.head = PrimesAtEnd(r, End::kFirst);
  out.tail = PrimesAtEnd(r, End::kLast);
  return out;
}

}  // namespace

ChunkPrimes PrimesInChunk(Range r, PrimeMethod method, bool want_all) {
  return method == PrimeMethod::kSieve ? SieveChunk(r, want_all) : TrialChunk(r, want_all);
}

std::optional<uint64_t> KnownPrimeCount(uint64_t from, uint64_t to) {
  // pi(10^k), k = 1..13 (OEIS A006880).
  static constexpr uint64_t kPi[] = {4,          25,          168,         1229,     9592,
                                     78498,      664579,      5761455,     50847534, 455052511,
                                     4118054813, 37607912018, 346065536839};
  if (from > 2) return std::nullopt;
  uint64_t x = 10;
  for (uint64_t pi : kPi) {
    if (to == x) return pi;
    x *= 10;
  }
  return std::nullopt;
}

}  // namespace zfan::jobs
