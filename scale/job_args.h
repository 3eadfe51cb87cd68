// The job part of a `zfan scale` command line: checked once up front with the job's own options,
// and rewritten per worker count for weak scaling (the job's size grows with the workers).
#pragma once
#include <string>
#include <vector>

#include "common/status.h"

namespace zfan::scale {

// Ok if `job` exists and `args` are valid options for it. Options zfan scale sets itself
// (--local-workers, --json, ...) are refused; master options are left for the master to judge.
Status CheckJobArgs(const std::string& job, const std::vector<std::string>& args);

// Whether the job keeps a core busy per task (for the "more workers than cores" warning).
bool IsCpuJob(const std::string& job);

// Whether --weak knows the job's size option.
bool CanScaleWeakly(const std::string& job);

struct ScaledArgs {
  std::vector<std::string> args;
  double work = 1;  // the job's size relative to the original, after rounding to whole units
};

// `args` with the job's size option (sum --n, primes --to beyond --from, sleep/spin --tasks)
// multiplied by `factor`. REQUIRES: CanScaleWeakly(job) and CheckJobArgs(job, args) ok.
Result<ScaledArgs> ScaleJobArgs(const std::string& job, const std::vector<std::string>& args,
                                double factor);

}  // namespace zfan::scale
