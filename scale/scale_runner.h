// Runs `zfan master JOB ... --json` as a child process, one job at a time, and reads the job's
// time and task count from its JSON summary.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/exit_codes.h"
#include "common/status.h"
#include "scale/scale.h"

namespace zfan::scale {

struct MasterRun {
  double elapsed_s = 0;             // the master's job clock: first dispatch to last result
  uint64_t tasks = 0;               // tasks computed in this run
  std::vector<WorkerRate> workers;  // those that took part (not on standby)
};

// What one master run reported, checked: Ok only if the job finished, every task was done and
// the result did not fail its check. No I/O.
Result<MasterRun> ReadMasterSummary(const nlohmann::json& summary);

class MasterRunner {
 public:
  // Output of each run goes to a private temporary directory, removed with the runner.
  static Result<MasterRunner> Create(std::string self_exe);
  MasterRunner(MasterRunner&& other) noexcept;
  MasterRunner& operator=(MasterRunner&&) = delete;
  ~MasterRunner();

  // Runs `zfan master ARGS...` to its end (or until SIGINT/SIGTERM reaches zfan scale).
  Result<MasterRun> Run(const std::vector<std::string>& master_args);
  // The exit code zfan scale ends with after Run failed: the master's own (1 job failed, 2 usage,
  // 3 runtime, 4 no workers, 130 interrupted), 1 for a summary that did not check out.
  ExitCode failure_exit_code() const { return failure_exit_code_; }

 private:
  MasterRunner(std::string self_exe, std::string dir)
      : self_exe_(std::move(self_exe)), dir_(std::move(dir)) {}
  Status Failed(ExitCode code, const std::vector<std::string>& args, const std::string& why);

  std::string self_exe_;
  std::string dir_;  // empty once moved from
  ExitCode failure_exit_code_ = ExitCode::kOk;
};

// `zfan master ARGS...` as a user would type it (words with spaces or quotes quoted).
std::string MasterCommand(const std::vector<std::string>& master_args);

// Cores, load average and host name, right now.
Machine ReadMachine();

}  // namespace zfan::scale
