// Job arguments for zfan scale: validation through the job's own CLI11 options, weak-scaling
// rewrite of the size option.
#include "scale/job_args.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>

#include "jobs/numbers.h"
#include "jobs/registry.h"

namespace zfan::scale {

namespace {

// zfan scale passes these to each master itself; a second value would contradict the study.
constexpr const char* kReservedOptions[] = {"--local-workers", "--expect-workers", "--use-workers",
                                            "--plan-workers", "--json", "--resume"};

// The option a weak-scaling study multiplies, and the option its value counts from (if any).
struct SizeOption {
  const char* job;
  const char* option;
  const char* origin;  // primes grows [--from, --to) from --from; nullptr: from 0
};
constexpr SizeOption kSizeOptions[] = {{"sum", "--n", nullptr},
                                       {"primes", "--to", "--from"},
                                       {"sleep", "--tasks", nullptr},
                                       {"spin", "--tasks", nullptr}};

const SizeOption* FindSizeOption(const std::string& job) {
  for (const auto& s : kSizeOptions) {
    if (job == s.job) return &s;
  }
  return nullptr;
}

bool IsOption(const std::string& token, const std::string& option) {
  return token == option || token.rfind(option + "=", 0) == 0;
}

// The job's CLI11 options, parsed from `args`; other words are left over (allow_extras).
struct ParsedJobArgs {
  CLI::App app;
  jobs::MasterJobFactory factory;
};

Status Parse(const jobs::JobEntry& job, const std::vector<std::string>& args,
             ParsedJobArgs& parsed) {
  parsed.app.allow_extras();
  parsed.factory = job.add_cli(parsed.app);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes argv backwards
  try {
    parsed.app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return UsageError(e.what());
  }
  return Status::Ok();
}

// The option's value as given, else its default.
std::string ValueOf(const CLI::App& app, const std::string& name) {
  const CLI::Option* opt = app.get_option(name);
  return opt->count() ? opt->results().back() : opt->get_default_str();
}

}  // namespace

Status CheckJobArgs(const std::string& job, const std::vector<std::string>& args) {
  const jobs::JobEntry* entry = jobs::FindJob(job);
  if (!entry) return UsageError("unknown job '" + job + "'; the jobs are: " + jobs::JobNames());
  for (const auto& token : args) {
    for (const char* reserved : kReservedOptions) {
      if (IsOption(token, reserved)) {
        return UsageError(std::string(reserved) +
                          " is set by zfan scale for each run; leave it out");
      }
    }
  }
  ParsedJobArgs parsed;
  if (Status s = Parse(*entry, args, parsed); !s.ok()) return s;
  auto made = parsed.factory();
  return made.ok() ? Status::Ok() : made.status();
}

bool IsCpuJob(const std::string& job) { return job == "sum" || job == "primes" || job == "spin"; }

bool CanScaleWeakly(const std::string& job) { return FindSizeOption(job) != nullptr; }

Result<ScaledArgs> ScaleJobArgs(const std::string& job, const std::vector<std::string>& args,
                                double factor) {
  const SizeOption* size = FindSizeOption(job);
  const jobs::JobEntry* entry = jobs::FindJob(job);
  if (!size || !entry) return UsageError("--weak does not know how to grow the job " + job);
  ParsedJobArgs parsed;
  if (Status s = Parse(*entry, args, parsed); !s.ok()) return s;
  auto end = jobs::ParseCount(ValueOf(parsed.app, size->option), size->option);
  if (!end.ok()) return end.status();
  uint64_t origin = 0;
  if (size->origin) {
    auto from = jobs::ParseCount(ValueOf(parsed.app, size->origin), size->origin);
    if (!from.ok()) return from.status();
    origin = *from;
  }
  const uint64_t span = *end - origin;
  const auto scaled_span = static_cast<uint64_t>(std::llround(span * factor));
  ScaledArgs out;
  out.work = span ? static_cast<double>(scaled_span) / span : factor;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == size->option) {
      ++i;  // and its value
    } else if (!IsOption(args[i], size->option)) {
      out.args.push_back(args[i]);
    }
  }
  out.args.push_back(size->option);
  out.args.push_back(std::to_string(origin + scaled_span));
  return out;
}

}  // namespace zfan::scale
