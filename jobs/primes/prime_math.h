// Prime counting for one chunk: libprimesieve's segmented sieve or the seeds' trial division.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "jobs/numbers.h"

namespace zfan::jobs {

inline constexpr size_t kHeadTail = 10;  // how many first/last primes a result reports

struct ChunkPrimes {
  uint64_t count = 0;
  std::vector<uint64_t> head;  // first primes of the chunk, ascending, at most kHeadTail
  std::vector<uint64_t> tail;  // last primes of the chunk, ascending, at most kHeadTail
  std::vector<uint64_t> all;   // every prime, only when asked for
};

enum class PrimeMethod { kSieve, kTrial };

// The seeds' check_prime (odd trial divisors up to sqrt(n)), corrected for n < 3.
bool IsPrimeTrial(uint64_t n);

ChunkPrimes PrimesInChunk(Range r, PrimeMethod method, bool want_all);

// pi(x) for the x = 10^k this job can check itself against; nullopt if not in the table.
std::optional<uint64_t> KnownPrimeCount(uint64_t from, uint64_t to);

}  // namespace zfan::jobs
