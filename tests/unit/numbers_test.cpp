// Number helpers of the CPU jobs (jobs/numbers.h) and the prime arithmetic (jobs/primes/).
#include "jobs/numbers.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "jobs/primes/prime_math.h"
#include "jobs/primes/primes_job.h"

using namespace zfan::jobs;

namespace {

uint64_t Count(const std::string& text) {
  auto r = ParseCount(text, "--n");
  INFO("ParseCount(\"" << text << "\"): " << r.status().message());
  REQUIRE(r.ok());
  return *r;
}

// Sieve of Eratosthenes: is_prime[n] for n < limit.
std::vector<bool> SimpleSieve(uint64_t limit) {
  std::vector<bool> is_prime(limit, true);
  for (uint64_t n = 0; n < std::min<uint64_t>(2, limit); ++n) is_prime[n] = false;
  for (uint64_t p = 2; p * p < limit; ++p) {
    if (!is_prime[p]) continue;
    for (uint64_t m = p * p; m < limit; m += p) is_prime[m] = false;
  }
  return is_prime;
}

const u128 kTwoTo64 = static_cast<u128>(1) << 64;

}  // namespace

TEST_CASE("counts parse from plain, scientific and underscored forms", "[numbers]") {
  CHECK(Count("2500000") == 2500000);
  CHECK(Count("1e9") == 1000000000);
  CHECK(Count("1E9") == 1000000000);
  CHECK(Count("2.5e6") == 2500000);
  CHECK(Count("10_000_000") == 10000000);
  CHECK(Count("1,000") == 1000);
  CHECK(Count("0") == 0);
  CHECK(Count("1e0") == 1);
  CHECK(Count("1.25e2") == 125);
  CHECK(Count("1e19") == 10000000000000000000ull);
  CHECK(Count("18446744073709551615") == UINT64_MAX);
}

TEST_CASE("counts that are not whole non-negative numbers are rejected", "[numbers]") {
  for (const char* text :
       {"abc", "-1",   "1.5",    "1e20",  "",      "2e19", "18446744073709551616",
        "1e",  "1e-3", "2.55e1", "1.5.5", " 5",    "5 ",   "0x10",
        "e9",  "E5",   ".e3",    "_",     "1e1e1", "+5"}) {
    auto r = ParseCount(text, "--n");
    INFO("text: '" << text << "'");
    CHECK_FALSE(r.ok());
    if (!r.ok()) {
      CHECK(r.status().code() == zfan::ErrorCode::kUsage);
      CHECK_THAT(r.status().message(), Catch::Contains("--n"));
    }
  }
}

TEST_CASE("chunks cover a range exactly with no gap or overlap", "[numbers]") {
  struct Case {
    Range all;
    uint64_t chunk;
    uint64_t expected_count;
  };
  for (const auto& c :
       {Case{{0, 100}, 10, 10}, Case{{0, 101}, 10, 11}, Case{{5, 17}, 4, 3}, Case{{5, 18}, 4, 4},
        Case{{0, 1}, 1000, 1}, Case{{7, 8}, 1, 1}, Case{{1000, 2500000}, 65536, 39},
        Case{{UINT64_MAX - 10, UINT64_MAX}, 3, 4}}) {
    INFO("range [" << c.all.lo << ", " << c.all.hi << ") chunk " << c.chunk);
    uint64_t n = ChunkCount(c.all, c.chunk);
    REQUIRE(n == c.expected_count);
    uint64_t expected_lo = c.all.lo;
    for (uint64_t i = 0; i < n; ++i) {
      Range r = ChunkAt(c.all, c.chunk, i);
      CHECK(r.lo == expected_lo);
      CHECK(r.hi > r.lo);
      CHECK(r.hi - r.lo <= c.chunk);
      if (i + 1 < n) CHECK(r.hi - r.lo == c.chunk);  // only the last chunk may be short
      expected_lo = r.hi;
    }
    CHECK(expected_lo == c.all.hi);
  }
}

TEST_CASE("an empty range or a zero chunk has no chunks", "[numbers]") {
  CHECK(ChunkCount({0, 0}, 10) == 0);
  CHECK(ChunkCount({10, 5}, 10) == 0);
  CHECK(ChunkCount({0, 100}, 0) == 0);
}

namespace {

// Walks a plan: its chunks must tile `all` in order with no gap or overlap, none empty, sizes
// never growing, none above max_chunk and all but the last at least min_chunk.
void CheckTiles(const ChunkPlan& plan, Range all, uint64_t min_chunk, uint64_t max_chunk) {
  INFO("range [" << all.lo << ", " << all.hi << ") " << plan.describe() << ", "
                 << plan.count() << " chunks");
  uint64_t expected_lo = all.lo;
  uint64_t previous = UINT64_MAX;
  for (uint64_t i = 0; i < plan.count(); ++i) {
    INFO("chunk " << i);
    Range r = plan.at(i);
    REQUIRE(r.lo == expected_lo);
    REQUIRE(r.hi > r.lo);
    uint64_t size = r.hi - r.lo;
    CHECK(size <= previous);
    CHECK(size <= max_chunk);
    if (i + 1 < plan.count()) CHECK(size >= min_chunk);
    previous = size;
    expected_lo = r.hi;
  }
  CHECK(expected_lo == all.hi);
}

double Log2(double x) { return std::log2(std::max(x, 1.0)); }

}  // namespace

TEST_CASE("guided chunks tile a range exactly, shrinking, in a bounded count", "[numbers]") {
  struct Case {
    Range all;
    uint64_t min_chunk;
    uint64_t max_chunk;
  };
  const uint64_t kMax = UINT64_MAX;
  for (const auto& c : {Case{{0, 10'000'000'000}, 156'250'000, kMax},
                        Case{{0, 2'000'000'000}, 31'250'000, kMax}, Case{{0, 10'000'000}, 1'000'000, kMax},
                        Case{{10, 2'500'000}, 1'000'000, kMax}, Case{{0, 1}, 1, kMax},
                        Case{{7, 8}, 1'000'000, kMax}, Case{{0, 10'000'000'000}, 1'000'000, 100'000'000},
                        Case{{0, 1'000'000}, 100'000, 100'000},
                        Case{{UINT64_MAX - 1'000'000'000'000, UINT64_MAX}, 1'000'000'000, kMax},
                        Case{{0, UINT64_MAX}, UINT64_MAX / 64, kMax}}) {
    ChunkPlan plan = ChunkPlan::Guided(c.all, c.min_chunk, c.max_chunk);
    CheckTiles(plan, c.all, c.min_chunk, c.max_chunk);
    // Halving rounds of 4 down to min_chunk, then at most 8 chunks of min_chunk; with a cap, whole
    // chunks of max_chunk first.
    double span = static_cast<double>(c.all.hi - c.all.lo);
    double capped = c.max_chunk == kMax ? 0 : span / static_cast<double>(c.max_chunk);
    double bound = capped + 4 * Log2(span / static_cast<double>(c.min_chunk)) + 8;
    CHECK(static_cast<double>(plan.count()) <= bound);
  }
  // Every small case, exhaustively.
  for (uint64_t lo : {0u, 3u}) {
    for (uint64_t span = 0; span <= 300; ++span) {
      for (uint64_t min_chunk = 1; min_chunk <= 9; min_chunk += 2) {
        for (uint64_t max_chunk : {min_chunk, min_chunk + 5, kMax}) {
          Range all{lo, lo + span};
          CheckTiles(ChunkPlan::Guided(all, min_chunk, max_chunk), all, min_chunk, max_chunk);
        }
      }
    }
  }
}

TEST_CASE("guided chunks of primes below 1e10 are 20: four of 1.25e9 first, then halving",
          "[numbers]") {
  ChunkPlan plan = ChunkPlan::Guided({0, 10'000'000'000}, 156'250'000, UINT64_MAX);
  REQUIRE(plan.count() == 20);
  for (uint64_t i = 0; i < 4; ++i) CHECK(plan.at(i).hi - plan.at(i).lo == 1'250'000'000);
  CHECK(plan.at(4).hi - plan.at(4).lo == 625'000'000);
  CHECK(plan.at(19).hi == 10'000'000'000);
  CHECK(plan.largest() == 1'250'000'000);
  CHECK(plan.guided());
}

TEST_CASE("a chunk plan depends only on its parameters, and its description names them",
          "[numbers]") {
  Range all{5, 123'456'789};
  ChunkPlan a = ChunkPlan::Guided(all, 1'000'000, UINT64_MAX);
  ChunkPlan b = ChunkPlan::Guided(all, 1'000'000, UINT64_MAX);
  REQUIRE(a.count() == b.count());
  for (uint64_t i = 0; i < a.count(); ++i) {
    CHECK(a.at(i).lo == b.at(i).lo);
    CHECK(a.at(i).hi == b.at(i).hi);
  }
  CHECK(a.describe() == b.describe());
  CHECK(a.describe() != ChunkPlan::Guided(all, 2'000'000, UINT64_MAX).describe());
  CHECK(a.describe() != ChunkPlan::Guided(all, 1'000'000, 50'000'000).describe());
  CHECK(ChunkPlan::Fixed(all, 1000).describe() == "chunk=1000");
  CHECK(ChunkPlan::Guided({0, 0}, 1, 1).count() == 0);
}

TEST_CASE("a fixed chunk plan is ChunkCount chunks of ChunkAt", "[numbers]") {
  for (uint64_t chunk : {1u, 7u, 100u, 1000u}) {
    Range all{3, 2'003};
    ChunkPlan plan = ChunkPlan::Fixed(all, chunk);
    REQUIRE(plan.count() == ChunkCount(all, chunk));
    CHECK_FALSE(plan.guided());
    for (uint64_t i = 0; i < plan.count(); ++i) {
      CHECK(plan.at(i).lo == ChunkAt(all, chunk, i).lo);
      CHECK(plan.at(i).hi == ChunkAt(all, chunk, i).hi);
    }
  }
}

TEST_CASE("a range payload round-trips and rejects wrong sizes", "[numbers]") {
  for (Range r : {Range{0, 0}, Range{0, 1000}, Range{12345, 67890}, Range{UINT64_MAX, UINT64_MAX},
                  Range{1, UINT64_MAX}}) {
    std::string payload = EncodeRange(r);
    CHECK(payload.size() == 16);
    auto back = DecodeRange(payload);
    REQUIRE(back.has_value());
    CHECK(back->lo == r.lo);
    CHECK(back->hi == r.hi);
  }
  // Little endian, lo then hi.
  CHECK(EncodeRange({1, 0x0201}) == std::string("\x01\0\0\0\0\0\0\0\x01\x02\0\0\0\0\0\0", 16));
  CHECK_FALSE(DecodeRange("").has_value());
  CHECK_FALSE(DecodeRange(std::string(15, '\0')).has_value());
  CHECK_FALSE(DecodeRange(std::string(17, '\0')).has_value());
  CHECK_FALSE(DecodeRange(EncodeRange({0, 5}) + "x").has_value());
  CHECK_FALSE(DecodeRange(EncodeRange({10, 5})).has_value());  // hi < lo
}

TEST_CASE("128-bit decimals round-trip, including values above 2^64", "[numbers]") {
  const u128 max128 = ~static_cast<u128>(0);
  CHECK(U128ToString(0) == "0");
  CHECK(U128ToString(7) == "7");
  CHECK(U128ToString(UINT64_MAX) == "18446744073709551615");
  CHECK(U128ToString(kTwoTo64) == "18446744073709551616");
  CHECK(U128ToString(max128) == "340282366920938463463374607431768211455");
  for (u128 v : {u128{0}, u128{1}, u128{10}, u128{UINT64_MAX}, kTwoTo64, kTwoTo64 * 12345 + 678,
                 max128 / 10, max128 - 1, max128}) {
    auto back = ParseU128(U128ToString(v));
    REQUIRE(back.has_value());
    CHECK(*back == v);
  }
}

TEST_CASE("128-bit decimal parsing rejects overflow and non-digits", "[numbers]") {
  CHECK_FALSE(ParseU128("340282366920938463463374607431768211456").has_value());  // 2^128
  CHECK_FALSE(ParseU128("340282366920938463463374607431768211460").has_value());
  CHECK_FALSE(ParseU128("999999999999999999999999999999999999999").has_value());
  CHECK_FALSE(ParseU128("1000000000000000000000000000000000000000").has_value());  // 40 digits
  CHECK_FALSE(ParseU128("").has_value());
  CHECK_FALSE(ParseU128("-1").has_value());
  CHECK_FALSE(ParseU128("12a").has_value());
  CHECK_FALSE(ParseU128(" 1").has_value());
  CHECK(ParseU128("007") == std::optional<u128>(7));
}

TEST_CASE("trial division agrees with a sieve below 100000", "[numbers][primes]") {
  CHECK(IsPrimeTrial(2));
  CHECK(IsPrimeTrial(3));
  CHECK_FALSE(IsPrimeTrial(0));
  CHECK_FALSE(IsPrimeTrial(1));
  CHECK_FALSE(IsPrimeTrial(4));
  CHECK_FALSE(IsPrimeTrial(9));
  CHECK_FALSE(IsPrimeTrial(25));
  const uint64_t limit = 100000;
  auto sieve = SimpleSieve(limit);
  uint64_t mismatches = 0;
  for (uint64_t n = 0; n < limit; ++n) {
    if (IsPrimeTrial(n) != sieve[n]) {
      if (++mismatches <= 10) FAIL_CHECK("IsPrimeTrial disagrees with the sieve at " << n);
    }
  }
  CHECK(mismatches == 0);
  // Large values near squares of primes, where an off-by-one in the divisor bound shows.
  CHECK(IsPrimeTrial(4294967291ull));  // largest prime below 2^32
  CHECK_FALSE(IsPrimeTrial(4294967291ull * 3));
  CHECK_FALSE(IsPrimeTrial(65521ull * 65521ull));  // square of a prime
}

TEST_CASE("the sieve and trial division agree on count, head, tail and every prime",
          "[numbers][primes]") {
  auto sieve = SimpleSieve(1000001);
  for (Range r :
       {Range{0, 100}, Range{10, 2500}, Range{999000, 1000000}, Range{0, 98}, Range{97, 200},
        Range{2, 3}, Range{0, 2}, Range{24, 29}, Range{0, 0}, Range{90, 97},
        Range{0, 1000001}, Range{123456, 987654}}) {  // the last two: wider than a head/tail window
    INFO("range [" << r.lo << ", " << r.hi << ")");
    std::vector<uint64_t> expected;
    for (uint64_t n = r.lo; n < r.hi; ++n) {
      if (sieve[n]) expected.push_back(n);
    }
    size_t k = std::min(kHeadTail, expected.size());
    std::vector<uint64_t> head(expected.begin(), expected.begin() + k);
    std::vector<uint64_t> tail(expected.end() - k, expected.end());
    for (PrimeMethod method : {PrimeMethod::kSieve, PrimeMethod::kTrial}) {
      INFO("method " << (method == PrimeMethod::kSieve ? "sieve" : "trial"));
      for (bool want_all : {false, true}) {
        INFO("want_all " << want_all);
        ChunkPrimes p = PrimesInChunk(r, method, want_all);
        CHECK(p.count == expected.size());
        CHECK(p.head == head);
        CHECK(p.tail == tail);
        if (want_all) {
          CHECK(p.all == expected);
        } else {
          CHECK(p.all.empty());
        }
      }
    }
  }
}

TEST_CASE("the known prime counts are pi(10^k) and only from the start", "[numbers][primes]") {
  CHECK(KnownPrimeCount(0, 10) == std::optional<uint64_t>(4));
  CHECK(KnownPrimeCount(0, 100) == std::optional<uint64_t>(25));
  CHECK(KnownPrimeCount(0, 1000) == std::optional<uint64_t>(168));
  CHECK(KnownPrimeCount(0, 1000000) == std::optional<uint64_t>(78498));
  CHECK(KnownPrimeCount(0, 1000000000) == std::optional<uint64_t>(50847534));
  CHECK(KnownPrimeCount(0, 10000000000000ull) == std::optional<uint64_t>(346065536839ull));
  CHECK(KnownPrimeCount(1, 100) == std::optional<uint64_t>(25));
  CHECK(KnownPrimeCount(2, 100) == std::optional<uint64_t>(25));
  CHECK_FALSE(KnownPrimeCount(3, 100).has_value());
  CHECK_FALSE(KnownPrimeCount(0, 0).has_value());
  CHECK_FALSE(KnownPrimeCount(0, 1).has_value());
  CHECK_FALSE(KnownPrimeCount(0, 999).has_value());
  CHECK_FALSE(KnownPrimeCount(0, 2500000).has_value());
  CHECK_FALSE(KnownPrimeCount(0, 100000000000000ull).has_value());  // 10^14: not in the table
  CHECK_FALSE(KnownPrimeCount(100, 1000).has_value());
  // The table agrees with the sieve where that is cheap to check.
  for (uint64_t x : {10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull}) {
    INFO("x = " << x);
    CHECK(KnownPrimeCount(0, x) == PrimesInChunk({0, x}, PrimeMethod::kSieve, false).count);
  }
}

TEST_CASE("primes' auto chunks are wide enough for libprimesieve's full pre-sieve", "[numbers]") {
  auto widths_below_full = [](const ChunkPlan& plan) {
    size_t narrow = 0;
    for (uint64_t i = 0; i + 1 < plan.count(); ++i) {  // the last chunk is clipped to the range
      narrow += plan.at(i).hi - plan.at(i).lo < kFullPreSieveSpan;
    }
    return narrow;
  };
  ChunkPlan e10 = PrimesAutoPlan({0, 10'000'000'000}, PrimeMethod::kSieve, false, 0);
  CHECK(e10.count() == 20);  // range/64 is already wider
  CHECK(widths_below_full(e10) == 0);
  ChunkPlan e9x2 = PrimesAutoPlan({0, 2'000'000'000}, PrimeMethod::kSieve, false, 0);
  CHECK(e9x2.count() == 12);  // 4 of 2.5e8, then 8 of 1.29e8 instead of shrinking to 3.1e7
  CHECK(widths_below_full(e9x2) == 0);
  CHECK(e9x2.at(11).hi == 2'000'000'000);
  // A small range still gives two workers several tasks each.
  ChunkPlan e8 = PrimesAutoPlan({0, 100'000'000}, PrimeMethod::kSieve, false, 0);
  CHECK(e8.count() == 6);
  CHECK(e8.at(5).hi == 100'000'000);
  // --list caps a chunk at 1e8 so its primes fit one result message.
  ChunkPlan listed = PrimesAutoPlan({0, 2'000'000'000}, PrimeMethod::kSieve, true, 0);
  CHECK(listed.largest() <= kMaxListChunk);
  CHECK(PrimesAutoPlan({0, 1'000'000}, PrimeMethod::kTrial, false, 0).count() == 100);
}

TEST_CASE("primes' auto chunks on one slot are as long as kOneSlotChunk allows, and equal",
          "[numbers]") {
  ChunkPlan e10 = PrimesAutoPlan({0, 10'000'000'000}, PrimeMethod::kSieve, false, 1);
  CHECK(e10.count() == 1);
  CHECK(e10.at(0).lo == 0);
  CHECK(e10.at(0).hi == 10'000'000'000);
  // 3.5e10 in 4 equal chunks of 8.75e9, not 3 of 1e10 and a remnant of 5e9.
  ChunkPlan big = PrimesAutoPlan({0, 35'000'000'000}, PrimeMethod::kSieve, false, 1);
  REQUIRE(big.count() == 4);
  for (uint64_t i = 0; i < 4; ++i) {
    CHECK(big.at(i).lo == i * 8'750'000'000);
    CHECK(big.at(i).hi == (i + 1) * 8'750'000'000);
  }
  ChunkPlan odd = PrimesAutoPlan({7, 20'000'000'008}, PrimeMethod::kSieve, false, 1);
  REQUIRE(odd.count() == 3);
  CHECK(odd.at(0).lo == 7);
  CHECK(odd.at(2).hi == 20'000'000'008);
  CHECK(odd.largest() <= kOneSlotChunk);
  // --list still caps chunks so their primes fit a message; an empty range has no task.
  CHECK(PrimesAutoPlan({0, 1'000'000'000}, PrimeMethod::kSieve, true, 1).count() == 10);
  CHECK(PrimesAutoPlan({5, 5}, PrimeMethod::kSieve, false, 1).count() == 0);
  // Two slots, or slots not known, keep the guided plan; trial division ignores slots.
  CHECK(PrimesAutoPlan({0, 10'000'000'000}, PrimeMethod::kSieve, false, 2).count() == 20);
  CHECK(PrimesAutoPlan({0, 1'000'000}, PrimeMethod::kTrial, false, 1).count() == 100);
}
