// The statistics of a scaling study: per-count timing summaries, speedup, efficiency, Karp–Flatt,
// and the Amdahl / Gustafson / USL fits. Pure functions, no I/O (tests/unit/scale_stats_test.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

namespace zfan::scale {

// A count is noisy when its spread (max − min) / median exceeds this: more than 10 % between the
// fastest and the slowest run means the machine, not zfan, decided a good part of the figure.
inline constexpr double kNoisySpread = 0.10;

// The timed runs at one worker count.
struct CountSample {
  uint32_t workers = 0;
  std::vector<double> runs_s;  // wall time of each timed run (the master's job clock)
  uint64_t tasks = 0;          // tasks done per run
  double work = 1;             // job size relative to the smallest count's (1 for strong scaling)
};

struct CountStats {
  uint32_t workers = 0;
  std::vector<double> runs_s;
  double median_s = 0;
  double min_s = 0;
  double max_s = 0;
  double tasks_per_s = 0;
  double speedup = 0;
  double efficiency = 0;
  std::optional<double> karp_flatt;  // undefined at one worker
  bool noisy = false;
};

struct UslFit {
  double sigma = 0;  // contention
  double kappa = 0;  // coherency (crosstalk)
};

struct ScalingFit {
  std::optional<double> amdahl_serial_fraction;     // strong scaling
  std::optional<double> gustafson_serial_fraction;  // weak scaling
  std::optional<UslFit> usl;                        // more than 3 counts
  uint32_t predicted_workers = 0;                   // 2 × the largest count
  std::optional<double> predicted_speedup;
};

double Median(std::vector<double> values);

// Speedup relative to the smallest count N0, taken as ideal: S(N) = N0 · w(N) · T(N0) / T(N),
// T the median time and w(N) the work at N relative to N0 (1 for strong scaling; N/N0 for weak
// scaling, which makes S Gustafson's scaled speedup). S(1) = 1 when 1 is the smallest count.
double Speedup(uint32_t base_workers, double base_s, double s, double work);
// Parallel efficiency S / N.
double Efficiency(double speedup, uint32_t workers);
// Karp–Flatt experimentally determined serial fraction e = (1/S − 1/N) / (1 − 1/N); none at N = 1.
std::optional<double> KarpFlatt(double speedup, uint32_t workers);

// Per-count statistics; `samples` sorted by workers, each with at least one run.
std::vector<CountStats> Summarise(const std::vector<CountSample>& samples);

// Amdahl: S = 1 / (f + (1 − f)/N), fitted by least squares on 1/S − 1/N = f (1 − 1/N).
std::optional<double> FitAmdahl(const std::vector<CountStats>& counts);
// Gustafson: S = N − s (N − 1), fitted by least squares on N − S = s (N − 1).
std::optional<double> FitGustafson(const std::vector<CountStats>& counts);
// USL: S = N / (1 + σ(N − 1) + κN(N − 1)), fitted by linear least squares on
// N/S − 1 = σ(N − 1) + κN(N − 1) with σ, κ ≥ 0; needs more than 3 counts.
std::optional<UslFit> FitUsl(const std::vector<CountStats>& counts);

double AmdahlSpeedup(double serial_fraction, double workers);
double GustafsonSpeedup(double serial_fraction, double workers);
double UslSpeedup(const UslFit& fit, double workers);

// The fits for strong (Amdahl) or weak (Gustafson) scaling, USL for both, and the speedup
// predicted at 2 × the largest count (USL when fitted).
ScalingFit FitScaling(const std::vector<CountStats>& counts, bool weak);

}  // namespace zfan::scale
