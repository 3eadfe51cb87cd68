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

ChunkPrimes SieveChunk(Range r, bool want_all) {
  ChunkPrimes out;
  if (r.hi <= r.lo) return out;
  if (want_all) {
    primesieve::generate_primes(r.lo, r.hi - 1, &out.all);
    out.count = out.all.size();
    out.head.assign(out.all.begin(), out.all.begin() + std::min(kHeadTail, out.all.size()));
    out.tail.assign(out.all.end() - std::min(kHeadTail, out.all.size()), out.all.end());
    return out;
  }
  out.count = primesieve::count_primes(r.lo, r.hi - 1);
  primesieve::iterator forward(r.lo, std::min(r.hi, r.lo + 4096));
  for (uint64_t p = forward.next_prime(); p < r.hi && out.head.size() < kHeadTail;
       p = forward.next_prime()) {
    out.head.push_back(p);
  }
  primesieve::iterator backward(r.hi - 1);
  for (uint64_t p = backward.prev_prime(); p >= r.lo && p >= 2 && out.tail.size() < kHeadTail;
       p = backward.prev_prime()) {
    out.tail.insert(out.tail.begin(), p);
  }
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
