#include "master/progress.h"

#include <unistd.h>

#include <cstdio>

namespace zfan::master {

ProgressReporter::ProgressReporter(bool enabled, double interval_s)
    : enabled_(enabled), tty_(isatty(STDERR_FILENO) == 1), last_(Clock::now()) {
  if (interval_s <= 0) interval_s = tty_ ? 0.2 : 5.0;
  interval_ = Millis(static_cast<int64_t>(interval_s * 1000));
}

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

std::string ProgressReporter::Line(const ProgressSnapshot& s) const {
  double rate = s.elapsed_s > 0 ? s.done / s.elapsed_s : 0;
  double pct = s.total ? 100.0 * (s.done + s.failed) / s.total : 100.0;
  uint64_t left = s.total - std::min(s.total, s.done + s.failed);
  char eta[32] = "?";
  if (rate > 0) std::snprintf(eta, sizeof eta, "%.0fs", left / rate);
  char buf[256];
  int n = std::snprintf(
      buf, sizeof buf, "%llu/%llu (%.1f%%)  %.0f tasks/s  ETA %s  workers %zu  failed %llu",
      static_cast<unsigned long long>(s.done), static_cast<unsigned long long>(s.total), pct, rate,
      eta, s.workers, static_cast<unsigned long long>(s.failed));
  std::string line(buf, n > 0 ? static_cast<size_t>(n) : 0);
  if (s.bytes > 0) {
    line += "  " + HumanBytes(static_cast<double>(s.bytes)) + "  " +
            HumanBytes(s.elapsed_s > 0 ? s.bytes / s.elapsed_s : 0) + "/s";
  }
  return line;
}

void ProgressReporter::Maybe(const ProgressSnapshot& s, TimePoint now, bool final) {
  if (!enabled_) return;
  if (!final && now - last_ < interval_) return;
  if (final && !printed_) return;  // short job: no progress, just the summary
  last_ = now;
  std::string line = Line(s);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "progress: %s\n", line.c_str());
  }
  std::fflush(stderr);
  printed_ = true;
}

}  // namespace zfan::master
