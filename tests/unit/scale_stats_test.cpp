// zfan scale's statistics against hand-computed values: speedup, efficiency, Karp–Flatt, noise,
// and the Amdahl, Gustafson and USL fits.
#include <catch2/catch.hpp>
#include <cmath>

#include "scale/stats.h"

using namespace zfan::scale;

namespace {

// One run per count at these times (strong scaling: the same job at every count).
std::vector<CountStats> Counts(const std::vector<uint32_t>& workers,
                               const std::vector<double>& times_s) {
  std::vector<CountSample> samples;
  for (size_t i = 0; i < workers.size(); ++i) {
    samples.push_back({.workers = workers[i], .runs_s = {times_s[i]}, .tasks = 100});
  }
  return Summarise(samples);
}

// Times of a 100 s job whose speedup follows `speedup` exactly.
template <class SpeedupOf>
std::vector<CountStats> ExactCurve(const std::vector<uint32_t>& workers, SpeedupOf speedup) {
  std::vector<double> times;
  for (uint32_t n : workers) times.push_back(100 / speedup(n));
  return Counts(workers, times);
}

}  // namespace

TEST_CASE("times 10, 5.2, 2.8 s at 1, 2, 4 workers give the hand-computed figures", "[scale]") {
  auto c = Counts({1, 2, 4}, {10, 5.2, 2.8});
  REQUIRE(c.size() == 3);
  CHECK(c[0].speedup == 1);
  CHECK(c[1].speedup == Approx(10 / 5.2).epsilon(1e-12));  // 1.923077
  CHECK(c[2].speedup == Approx(10 / 2.8).epsilon(1e-12));  // 3.571429
  CHECK(c[0].efficiency == 1);
  CHECK(c[1].efficiency == Approx(10 / 5.2 / 2).epsilon(1e-12));  // 0.961538
  CHECK(c[2].efficiency == Approx(10 / 2.8 / 4).epsilon(1e-12));  // 0.892857
  // e = (1/S − 1/N) / (1 − 1/N): (0.52 − 0.5) / 0.5 and (0.28 − 0.25) / 0.75.
  CHECK_FALSE(c[0].karp_flatt.has_value());
  CHECK(*c[1].karp_flatt == Approx(0.04).epsilon(1e-12));
  CHECK(*c[2].karp_flatt == Approx(0.04).epsilon(1e-12));
  CHECK(c[1].tasks_per_s == Approx(100 / 5.2));
  // 1/S − 1/N = f (1 − 1/N) holds with f = 0.04 at both points, so the fit is exact.
  CHECK(*FitAmdahl(c) == Approx(0.04).epsilon(1e-12));
  CHECK_FALSE(FitUsl(c).has_value());  // 3 counts: not more than 3
}

TEST_CASE("the median, min and max of the runs, and noise above a 10 % spread", "[scale]") {
  CHECK(Median({3, 1, 2}) == 2);
  CHECK(Median({3, 1, 2, 4}) == 2.5);
  auto c = Summarise({{.workers = 1, .runs_s = {1.0, 1.05, 1.1}, .tasks = 10},
                      {.workers = 2, .runs_s = {0.5, 0.525, 0.6}, .tasks = 10}});
  CHECK(c[0].median_s == 1.05);
  CHECK(c[0].min_s == 1.0);
  CHECK(c[0].max_s == 1.1);
  CHECK_FALSE(c[0].noisy);  // 0.1 / 1.05 = 9.5 %
  CHECK(c[1].noisy);        // 0.1 / 0.525 = 19 %
  CHECK(c[1].speedup == Approx(2));
}

TEST_CASE("speedup is relative to the smallest count, taken as ideal", "[scale]") {
  auto c = Counts({2, 4}, {5, 2.6});
  CHECK(c[0].speedup == 2);
  CHECK(c[0].efficiency == 1);
  CHECK(c[1].speedup == Approx(2 * 5 / 2.6).epsilon(1e-12));
  CHECK(*c[0].karp_flatt == 0);
}

TEST_CASE("weak scaling reports Gustafson's scaled speedup N0 · w · T(N0) / T(N)", "[scale]") {
  auto c = Summarise({{.workers = 1, .runs_s = {10}, .tasks = 10, .work = 1},
                      {.workers = 2, .runs_s = {10.5}, .tasks = 20, .work = 2},
                      {.workers = 4, .runs_s = {11}, .tasks = 40, .work = 4}});
  CHECK(c[1].speedup == Approx(20 / 10.5).epsilon(1e-12));
  CHECK(c[1].efficiency == Approx(10 / 10.5).epsilon(1e-12));
  CHECK(c[2].efficiency == Approx(10 / 11.0).epsilon(1e-12));
  // An exact Gustafson curve S = N − s (N − 1) with s = 0.2 gives s back.
  auto g = ExactCurve({1, 2, 4, 8}, [](double n) { return n - 0.2 * (n - 1); });
  CHECK(*FitGustafson(g) == Approx(0.2).epsilon(1e-9));
  ScalingFit fit = FitScaling(g, /*weak=*/true);
  CHECK_FALSE(fit.amdahl_serial_fraction.has_value());
  CHECK(*fit.gustafson_serial_fraction == Approx(0.2).epsilon(1e-9));
}

TEST_CASE("an exact Amdahl curve with f = 0.1 recovers f = 0.1", "[scale]") {
  auto c = ExactCurve({1, 2, 4, 8}, [](double n) { return 1 / (0.1 + 0.9 / n); });
  CHECK(*FitAmdahl(c) == Approx(0.1).epsilon(1e-12));
  // On Amdahl's curve N/S − 1 = f (N − 1): USL with σ = f and κ = 0.
  auto usl = FitUsl(c);
  REQUIRE(usl.has_value());
  CHECK(usl->sigma == Approx(0.1).epsilon(1e-9));
  CHECK(usl->kappa == Approx(0).margin(1e-12));
  CHECK(usl->kappa >= 0);
}

TEST_CASE("an exact USL curve with sigma 0.05, kappa 0.001 recovers both", "[scale]") {
  const UslFit truth{0.05, 0.001};
  auto c = ExactCurve({1, 2, 4, 8, 16}, [&](double n) { return UslSpeedup(truth, n); });
  ScalingFit fit = FitScaling(c, /*weak=*/false);
  REQUIRE(fit.usl.has_value());
  CHECK(fit.usl->sigma == Approx(0.05).epsilon(1e-9));
  CHECK(fit.usl->kappa == Approx(0.001).epsilon(1e-9));
  // Predicted at 2 × 16 = 32 by USL: 32 / (1 + 0.05·31 + 0.001·32·31) = 32 / 3.542.
  CHECK(fit.predicted_workers == 32);
  CHECK(*fit.predicted_speedup == Approx(32 / 3.542).epsilon(1e-9));
}

TEST_CASE("without USL the prediction follows Amdahl", "[scale]") {
  auto c = Counts({1, 2, 4}, {10, 5.2, 2.8});
  ScalingFit fit = FitScaling(c, /*weak=*/false);
  CHECK_FALSE(fit.usl.has_value());
  CHECK(fit.predicted_workers == 8);
  CHECK(*fit.predicted_speedup == Approx(1 / (0.04 + 0.96 / 8)).epsilon(1e-12));  // 6.25
}

TEST_CASE("superlinear speedups clamp the fitted coefficients at zero", "[scale]") {
  auto c = Counts({1, 2, 4, 8}, {10, 4.5, 2.1, 1.0});
  CHECK(*FitAmdahl(c) == 0);
  auto usl = FitUsl(c);
  REQUIRE(usl.has_value());
  CHECK(usl->sigma >= 0);
  CHECK(usl->kappa >= 0);
}

TEST_CASE("a single count has speedup 1 and no fit", "[scale]") {
  auto c = Counts({1}, {3});
  CHECK(c[0].speedup == 1);
  ScalingFit fit = FitScaling(c, /*weak=*/false);
  CHECK_FALSE(fit.amdahl_serial_fraction.has_value());
  CHECK_FALSE(fit.predicted_speedup.has_value());
  CHECK(fit.predicted_workers == 2);
}
