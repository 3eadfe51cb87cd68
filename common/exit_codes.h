// Process exit codes of `zfan`, documented in the README ("Exit codes"). One enum, one place.
#pragma once
#include "common/status.h"

namespace zfan {

enum class ExitCode : int {
  kOk = 0,             // job finished, every task done, result verified where verifiable
  kJobFailed = 1,      // job finished but some tasks failed, or the result did not verify
  kUsage = 2,          // bad command line: unknown job, invalid option value
  kRuntime = 3,        // could not run: port in use, unreachable endpoint, API error, I/O error
  kNoWorkers = 4,      // --expect-workers not met within --wait-timeout
  kInterrupted = 130,  // stopped by SIGINT/SIGTERM before the job finished
};

inline ExitCode ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kOk:
      return ExitCode::kOk;
    case ErrorCode::kUsage:
      return ExitCode::kUsage;
    case ErrorCode::kTimeout:
      return ExitCode::kNoWorkers;
    case ErrorCode::kInterrupted:
      return ExitCode::kInterrupted;
    default:
      return ExitCode::kRuntime;
  }
}

}  // namespace zfan
