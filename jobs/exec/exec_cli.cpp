// `zfan master exec` flags, their checks, and the exec job's registry entry (its worker side is
// ExecRunner).
#include <cstdlib>

#include "jobs/exec/exec_job.h"
#include "jobs/exec/exec_runner.h"
#include "jobs/numbers.h"

namespace zfan::jobs {
namespace {

constexpr uint64_t kMaxOutputCap = 100u << 20;  // two of them must fit a result frame

struct ExecOptions {
  ExecJobConfig config;
  std::vector<std::string> command;
  std::vector<std::string> env_names;
  std::string max_output_text = "16777216";
  uint32_t retries = 0;
};

// Text that travels in the job's JSON parameters must be UTF-8 (inputs travel as raw bytes).
Status CheckUtf8(const std::string& text, const std::string& what) {
  try {
    (void)nlohmann::json(text).dump();
  } catch (const nlohmann::json::exception&) {
    return UsageError(what + " must be valid UTF-8 (inputs may be any bytes)");
  }
  return Status::Ok();
}

Status TakeEnvironment(const std::vector<std::string>& names, ExecSettings& settings) {
  for (const auto& name : names) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return UsageError("--env takes a variable name, not '" + name + "'");
    }
    const char* value = std::getenv(name.c_str());
    if (!value) return UsageError("--env " + name + ": not set in this shell's environment");
    settings.env[name] = value;
    if (Status s = CheckUtf8(value, "--env " + name); !s.ok()) return s;
  }
  return Status::Ok();
}

Result<std::unique_ptr<MasterJob>> MakeFromOptions(ExecOptions& o) {
  ExecJobConfig& c = o.config;
  if (c.inputs_path.empty() == c.args.empty()) {
    return UsageError("exec needs exactly one of --inputs FILE and --arg VALUE...");
  }
  if (o.command.empty()) {
    return UsageError("exec needs a command after '--', e.g.: zfan master exec --arg a -- echo {}");
  }
  for (const auto& word : o.command) {
    c.settings.command += (c.settings.command.empty() ? "" : " ") + word;
  }
  if (Status s = CheckUtf8(c.settings.command, "the command"); !s.ok()) return s;
  if (Status s = CheckUtf8(c.settings.workdir, "--workdir"); !s.ok()) return s;
  if (Status s = TakeEnvironment(o.env_names, c.settings); !s.ok()) return s;
  if (c.settings.timeout_s < 0) return UsageError("--timeout must be 0 (none) or more seconds");
  auto max_output = ParseCount(o.max_output_text, "--max-output");
  if (!max_output.ok()) return max_output.status();
  if (*max_output > kMaxOutputCap) return UsageError("--max-output is capped at 104857600");
  c.settings.max_output = *max_output;
  c.settings.tries = std::max(1u, o.retries);
  return MakeExecJob(std::move(c));
}

MasterJobFactory AddExecCli(CLI::App& cmd) {
  auto o = std::make_shared<ExecOptions>();
  cmd.add_option("--inputs", o->config.inputs_path, "one input per line of FILE ('-' = stdin)");
  cmd.add_option("--arg", o->config.args,
                 "inputs given on the command line (--arg=-x for one "
                 "that starts with '-')");
  cmd.add_flag("-k,--keep-order", o->config.keep_order, "print outputs in input order");
  cmd.add_option("--timeout", o->config.settings.timeout_s,
                 "seconds a command may run; then its whole process group is killed (TIMEOUT)");
  cmd.add_option("--max-output", o->max_output_text, "bytes of stdout and of stderr kept per task")
      ->capture_default_str();
  cmd.add_option("--retries", o->retries,
                 "run a command that exits non-zero up to N times in all (as GNU parallel)");
  cmd.add_option("--workdir", o->config.settings.workdir, "directory commands run in, on workers");
  cmd.add_option("--env", o->env_names,
                 "send this variable's value (from this shell) to the commands; repeatable");
  cmd.add_flag("--resume-failed", o->config.resume_failed,
               "with --joblog: run again what failed there, skip what succeeded");
  cmd.add_option("command", o->command,
                 "the command after '--': shell text with {} {.} {/} "
                 "{//} {/.} {#} {%}");
  return [o]() { return MakeFromOptions(*o); };
}

}  // namespace

JobEntry ExecJobEntry() {
  return {
      .name = "exec",
      .help = "run your own command per input, GNU parallel style (workers need --allow-exec)",
      .add_cli = AddExecCli,
      .make_runner = [](const nlohmann::json& params, uint32_t slots,
                        CompletionSink sink) -> Result<std::unique_ptr<TaskRunner>> {
        auto settings = ExecSettings::FromJson(params);
        if (!settings.ok()) return settings.status();
        return std::unique_ptr<TaskRunner>(
            std::make_unique<ExecRunner>(slots, std::move(settings).value(), std::move(sink)));
      },
      .runs_commands = true,
  };
}

}  // namespace zfan::jobs
