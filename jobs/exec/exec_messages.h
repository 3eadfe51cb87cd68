// What the exec job's master and workers tell each other: the settings every task runs with
// (the job's worker_params) and the record of one finished command (a task's result JSON; its
// stdout and stderr travel as the outcome's raw frames).
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace zfan::jobs {

struct ExecSettings {
  std::string command;                     // shell text with replacement strings
  std::map<std::string, std::string> env;  // --env NAME: values from the master's environment
  std::string workdir;                     // "" = the worker's own
  double timeout_s = 0;                    // 0 = none
  uint64_t max_output = 16u << 20;         // bytes kept per stream
  uint32_t tries = 1;  // --retries N: runs at most N times (GNU parallel's count)

  nlohmann::json ToJson() const;
  static Result<ExecSettings> FromJson(const nlohmann::json& j);
};

struct ExecRun {
  double start_epoch_s = 0;  // when the (last) run started, on the worker's clock
  double runtime_s = 0;
  int exit_code = 0;  // WEXITSTATUS; 0 when killed by a signal, -1 on timeout (as GNU parallel)
  int signal = 0;     // the signal that ended it, 0 if none
  bool timed_out = false;
  uint32_t slot = 0;          // {%}
  uint32_t tries = 1;         // runs made (retries)
  uint64_t stdout_bytes = 0;  // all the command wrote, kept or not
  uint64_t stderr_bytes = 0;
  bool stdout_truncated = false;
  bool stderr_truncated = false;

  nlohmann::json ToJson() const;
  static ExecRun FromJson(const nlohmann::json& j);  // missing fields keep their defaults
};

// Now, in seconds since the epoch (a joblog's Starttime).
double EpochSecondsNow();

// The typed failure of a run: "" on success, TIMEOUT, SIGNAL_<NAME> (SIGNAL_SEGV), EXIT_<n>.
std::string FailureReason(const ExecRun& run);
// A sentence for that failure ("exit status 3", "killed by SIGSEGV", ...).
std::string FailureDetail(const ExecRun& run, double timeout_s);

}  // namespace zfan::jobs
