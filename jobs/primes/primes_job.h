// The `primes` job: count (and optionally list) the primes in [from, to) in chunks.
#pragma once
#include <cstdint>

#include "jobs/numbers.h"
#include "jobs/primes/prime_math.h"
#include "jobs/registry.h"

namespace zfan::jobs {

inline constexpr uint64_t kMaxListChunk = 100'000'000;  // a chunk's primes must fit one result

// libprimesieve 11 pre-sieves with every prime below 100 only in a call at least 20 times as wide
// as its pre-sieve buffers (6,441,360 numbers); a narrower call pre-sieves with 7, 11 and 13 alone
// and sieves 15-25 % slower per number.
inline constexpr uint64_t kFullPreSieveSpan = 20 * 6'441'360;

// A single slot has nothing to balance: its sieve chunks are as long as this (about a second's
// work on one core), so that progress, --resume and a lost worker still cost at most one of them.
inline constexpr uint64_t kOneSlotChunk = 10'000'000'000;

// The chunks of `--chunk auto` for a job run on `slots` task slots (0: not known when the job
// starts): for the sieve, equal chunks of at most kOneSlotChunk on one slot, guided on more;
// fixed for trial division.
ChunkPlan PrimesAutoPlan(Range r, PrimeMethod method, bool list, uint32_t slots);

JobEntry PrimesJobEntry();

}  // namespace zfan::jobs
