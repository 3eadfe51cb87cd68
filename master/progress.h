// Progress reporting on stderr: one live line on a tty, plain periodic lines in a pipe.
#pragma once
#include <cstdint>
#include <string>

#include "common/clock.h"

namespace zfan::master {

struct ProgressSnapshot {
  uint64_t done = 0;
  uint64_t failed = 0;
  uint64_t total = 0;
  size_t workers = 0;
  double elapsed_s = 0;
  uint64_t bytes = 0;  // bulk bytes received (downloads)
};

class ProgressReporter {
 public:
  ProgressReporter(bool enabled, double interval_s);
  // Prints if the interval passed (or `final`).
  void Maybe(const ProgressSnapshot& s, TimePoint now, bool final = false);

 private:
  std::string Line(const ProgressSnapshot& s) const;
  bool enabled_;
  bool tty_;
  Millis interval_;
  TimePoint last_{};
  bool printed_ = false;
};

std::string HumanBytes(double bytes);

}  // namespace zfan::master
