// Scaling statistics: summaries per worker count and the law fits (see stats.h for the formulas).
#include "scale/stats.h"

#include <algorithm>
#include <cmath>

namespace zfan::scale {

namespace {

// Least squares through the origin, y = b·x: b = Σxy / Σx². None when every x is 0.
std::optional<double> SlopeThroughOrigin(const std::vector<double>& x,
                                         const std::vector<double>& y) {
  double xy = 0, xx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
  }
  if (xx <= 0) return std::nullopt;
  return xy / xx;
}

}  // namespace

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double Speedup(uint32_t base_workers, double base_s, double s, double work) {
  return s > 0 ? base_workers * work * base_s / s : 0;
}

double Efficiency(double speedup, uint32_t workers) { return workers ? speedup / workers : 0; }

std::optional<double> KarpFlatt(double speedup, uint32_t workers) {
  if (workers <= 1 || speedup <= 0) return std::nullopt;
  double n = workers;
  return (1 / speedup - 1 / n) / (1 - 1 / n);
}

std::vector<CountStats> Summarise(const std::vector<CountSample>& samples) {
  std::vector<CountStats> out;
  if (samples.empty()) return out;
  const double base_s = Median(samples.front().runs_s);
  const uint32_t base_workers = samples.front().workers;
  for (const auto& sample : samples) {
    CountStats c;
    c.workers = sample.workers;
    c.runs_s = sample.runs_s;
    c.median_s = Median(sample.runs_s);
    auto [lo, hi] = std::minmax_element(sample.runs_s.begin(), sample.runs_s.end());
    c.min_s = *lo;
    c.max_s = *hi;
    c.tasks_per_s = c.median_s > 0 ? sample.tasks / c.median_s : 0;
    c.speedup = Speedup(base_workers, base_s, c.median_s, sample.work);
    c.efficiency = Efficiency(c.speedup, c.workers);
    c.karp_flatt = KarpFlatt(c.speedup, c.workers);
    c.noisy = c.median_s > 0 && (c.max_s - c.min_s) / c.median_s > kNoisySpread;
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<double> FitAmdahl(const std::vector<CountStats>& counts) {
  std::vector<double> x, y;
  for (const auto& c : counts) {
    if (c.speedup <= 0) continue;
    x.push_back(1 - 1.0 / c.workers);
    y.push_back(1 / c.speedup - 1.0 / c.workers);
  }
  auto f = SlopeThroughOrigin(x, y);
  if (!f) return std::nullopt;
  return std::clamp(*f, 0.0, 1.0);
}

std::optional<double> FitGustafson(const std::vector<CountStats>& counts) {
  std::vector<double> x, y;
  for (const auto& c : counts) {
    x.push_back(c.workers - 1.0);
    y.push_back(c.workers - c.speedup);
  }
  auto s = SlopeThroughOrigin(x, y);
  if (!s) return std::nullopt;
  return std::clamp(*s, 0.0, 1.0);
}

std::optional<UslFit> FitUsl(const std::vector<CountStats>& counts) {
  if (counts.size() <= 3) return std::nullopt;
  // Regressors a = N − 1, b = N(N − 1); response y = N/S − 1; normal equations of y = σa + κb.
  std::vector<double> a, b, y;
  double aa = 0, ab = 0, bb = 0, ay = 0, by = 0;
  for (const auto& c : counts) {
    if (c.speedup <= 0) return std::nullopt;
    double n = c.workers;
    a.push_back(n - 1);
    b.push_back(n * (n - 1));
    y.push_back(n / c.speedup - 1);
    aa += a.back() * a.back();
    ab += a.back() * b.back();
    bb += b.back() * b.back();
    ay += a.back() * y.back();
    by += b.back() * y.back();
  }
  double det = aa * bb - ab * ab;
  if (!(std::abs(det) > 1e-12 * aa * bb)) return std::nullopt;  // fewer than 2 distinct N > 1
  UslFit fit{(ay * bb - by * ab) / det, (aa * by - ab * ay) / det};
  // A negative coefficient has no physical meaning: drop it and refit the other one alone.
  if (fit.kappa < 0) fit = {std::max(0.0, SlopeThroughOrigin(a, y).value_or(0)), 0};
  if (fit.sigma < 0) fit = {0, std::max(0.0, SlopeThroughOrigin(b, y).value_or(0))};
  return fit;
}

double AmdahlSpeedup(double serial_fraction, double workers) {
  return 1 / (serial_fraction + (1 - serial_fraction) / workers);
}

double GustafsonSpeedup(double serial_fraction, double workers) {
  return workers - serial_fraction * (workers - 1);
}

double UslSpeedup(const UslFit& fit, double workers) {
  return workers / (1 + fit.sigma * (workers - 1) + fit.kappa * workers * (workers - 1));
}

ScalingFit FitScaling(const std::vector<CountStats>& counts, bool weak) {
  ScalingFit fit;
  if (counts.empty()) return fit;
  if (weak) {
    fit.gustafson_serial_fraction = FitGustafson(counts);
  } else {
    fit.amdahl_serial_fraction = FitAmdahl(counts);
  }
  fit.usl = FitUsl(counts);
  fit.predicted_workers = 2 * counts.back().workers;
  const double n = fit.predicted_workers;
  if (fit.usl) {
    fit.predicted_speedup = UslSpeedup(*fit.usl, n);
  } else if (fit.amdahl_serial_fraction) {
    fit.predicted_speedup = AmdahlSpeedup(*fit.amdahl_serial_fraction, n);
  } else if (fit.gustafson_serial_fraction) {
    fit.predicted_speedup = GustafsonSpeedup(*fit.gustafson_serial_fraction, n);
  }
  return fit;
}

}  // namespace zfan::scale
