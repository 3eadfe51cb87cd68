// The job registry: one table lists every job; master/, worker/ and cli/ find jobs only here.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "jobs/job.h"

namespace zfan::jobs {

using MasterJobFactory = std::function<Result<std::unique_ptr<MasterJob>>()>;

struct JobEntry {
  std::string name;
  std::string help;
  // Adds the job's flags to its `zfan master JOB` subcommand. The returned factory is called
  // after parsing and validates the values (a bad value is a Status with kUsage).
  std::function<MasterJobFactory(CLI::App& cmd)> add_cli;
  // Builds the worker side from the master's worker_params(). `slots` tasks may run at once.
  std::function<Result<std::unique_ptr<TaskRunner>>(const nlohmann::json& params, uint32_t slots,
                                                    CompletionSink sink)>
      make_runner;
  // Tasks a worker runs at once when it was given no --slots (the worker and the master's
  // window both use this).
  std::function<uint32_t(uint32_t cores)> auto_slots = [](uint32_t cores) { return cores; };
  // True for a job whose tasks run the user's commands (exec): a worker runs them only when
  // started with --allow-exec, and answers NOT_ALLOWED otherwise.
  bool runs_commands = false;
};

const std::vector<JobEntry>& AllJobs();
const JobEntry* FindJob(const std::string& name);
// "primes, sum, ...": the job names for error messages.
std::string JobNames();

}  // namespace zfan::jobs
