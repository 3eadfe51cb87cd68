// The `exec` job: the user's own command per input line or argument, GNU parallel style, run
// only on workers started with --allow-exec.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "jobs/exec/exec_messages.h"
#include "jobs/registry.h"

namespace zfan::jobs {

struct ExecJobConfig {
  ExecSettings settings;          // what every worker runs with
  std::string inputs_path;        // --inputs FILE ("-" = stdin); empty when --arg is used
  std::vector<std::string> args;  // --arg VALUE...
  bool keep_order = false;        // --keep-order
  bool resume_failed = false;     // --resume-failed
};

std::unique_ptr<MasterJob> MakeExecJob(ExecJobConfig config);
JobEntry ExecJobEntry();

}  // namespace zfan::jobs
