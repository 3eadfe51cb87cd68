// zfan scale from start to end: check the command line, run the job at each worker count,
// summarise, fit, print and export.
#include "scale/scale.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <iostream>

#include "common/signals.h"
#include "scale/export.h"
#include "scale/job_args.h"
#include "scale/scale_runner.h"

namespace zfan::scale {

namespace {

// Master options go before a job's `--`: what follows it is exec's command, which would take them.
void AddMasterOptions(std::vector<std::string>& args, std::initializer_list<std::string> options) {
  args.insert(std::find(args.begin(), args.end(), "--"), options);
}

// More local workers than this is a typo, not a study (each is a process with 3 sockets).
constexpr uint32_t kMaxWorkers = 100000;

Status CheckOptions(const ScaleOptions& o) {
  if (o.workers.empty()) return UsageError("--workers needs at least one count");
  if (o.runs == 0) return UsageError("--runs must be at least 1");
  if (o.weak && !CanScaleWeakly(o.job)) {
    return UsageError("--weak grows only sum (--n), primes (--to), sleep and spin (--tasks), not " +
                      o.job);
  }
  return CheckJobArgs(o.job, o.job_args);
}

void WarnAboutNoise(const ScaleOptions& o, const Machine& machine) {
  if (!o.external && IsCpuJob(o.job) && o.workers.back() > machine.cores) {
    spdlog::warn(
        "{} workers on {} cores: a CPU job cannot speed up beyond the cores, so counts above {} "
        "measure time sharing",
        o.workers.back(), machine.cores, machine.cores);
  }
  if (machine.loadavg[0] >= 0.5) {
    spdlog::warn("load average {:.2f} at start: other work may slow some runs", machine.loadavg[0]);
  }
}

// The master's arguments (after `zfan master`) for `workers` workers: local workers, or with
// --external the first `workers` of the connected ones (the master waits for as many as the
// largest count, and puts the others on standby).
Result<std::vector<std::string>> MasterArgs(const ScaleOptions& o, uint32_t workers, double& work) {
  std::vector<std::string> args{o.job};
  work = 1;
  if (o.weak) {
    auto scaled = ScaleJobArgs(o.job, o.job_args, static_cast<double>(workers) / o.workers[0]);
    if (!scaled.ok()) return scaled.status();
    args.insert(args.end(), scaled->args.begin(), scaled->args.end());
    work = scaled->work;
  } else {
    args.insert(args.end(), o.job_args.begin(), o.job_args.end());
  }
  if (o.external) {
    AddMasterOptions(args, {"--expect-workers", std::to_string(o.workers.back()), "--use-workers",
                            std::to_string(workers)});
  } else {
    // Every count runs the same tasks, planned for the largest: a job's plan may depend on its
    // workers (primes sieves in larger chunks on one), and speedups compare the same work.
    AddMasterOptions(args, {"--local-workers", std::to_string(workers), "--plan-workers",
                            std::to_string(o.workers.back())});
  }
  return args;
}

// Warm-up and timed runs at one count.
// `rates` receives the last timed run's per-worker figures.
Result<CountSample> RunCount(const ScaleOptions& o, MasterRunner& runner,
                             std::vector<std::string> args, uint32_t workers, double work,
                             std::vector<WorkerRate>* rates) {
  AddMasterOptions(args, {"--json", "-q"});
  CountSample sample{.workers = workers, .work = work};
  for (uint32_t i = 0; i < o.warmup + o.runs; ++i) {
    auto run = runner.Run(args);
    if (!run.ok()) return run.status();
    const bool warmup = i < o.warmup;
    spdlog::info("{} worker{}: {} {}/{}: {:.3f} s", workers, workers == 1 ? "" : "s",
                 warmup ? "warm-up" : "run", warmup ? i + 1 : i + 1 - o.warmup,
                 warmup ? o.warmup : o.runs, run->elapsed_s);
    if (warmup) continue;
    sample.runs_s.push_back(run->elapsed_s);
    sample.tasks = run->tasks;
    *rates = run->workers;
  }
  return sample;
}

void WarnAboutNoisyCounts(const std::vector<CountStats>& counts) {
  for (const auto& c : counts) {
    if (!c.noisy) continue;
    spdlog::warn(
        "{} worker{}: runs spread {:.0f} % of the median (noisy above {:.0f} %); try more --runs "
        "or a quieter machine",
        c.workers, c.workers == 1 ? "" : "s", 100 * (c.max_s - c.min_s) / c.median_s,
        100 * kNoisySpread);
  }
}

// Every export asked for; the first failure wins, but a missing gnuplot is only reported.
Status WriteExports(const ScaleOptions& o, const Study& study) {
  Status first;
  auto keep = [&](Status s) {
    if (first.ok() && !s.ok()) first = std::move(s);
  };
  if (!o.export_json.empty()) keep(WriteJson(o.export_json, study));
  if (!o.export_csv.empty()) keep(WriteCsv(o.export_csv, study));
  if (!o.export_markdown.empty()) keep(WriteMarkdown(o.export_markdown, study));
  if (!o.plot.empty()) {
    PlotOutcome plot = WritePlot(o.plot, study);
    if (plot.gnuplot_missing) {
      std::fprintf(stderr, "zfan: %s\n", plot.status.message().c_str());
    } else {
      keep(plot.status);
    }
  }
  return first;
}

}  // namespace

Result<std::vector<uint32_t>> ParseWorkerCounts(const std::string& text) {
  std::vector<uint32_t> counts;
  size_t start = 0;
  while (true) {
    size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    uint32_t n = 0;
    auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || n == 0 ||
        n > kMaxWorkers) {
      return UsageError("--workers '" + text + "': expected counts from 1 to " +
                        std::to_string(kMaxWorkers) + " separated by commas, like 1,2,4,8");
    }
    if (std::find(counts.begin(), counts.end(), n) != counts.end()) {
      return UsageError("--workers '" + text + "' lists " + std::to_string(n) + " twice");
    }
    counts.push_back(n);
    if (end == text.size()) break;
    start = end + 1;
  }
  std::sort(counts.begin(), counts.end());
  return counts;
}

ExitCode RunScale(const ScaleOptions& o) {
  if (Status s = CheckOptions(o); !s.ok()) {
    std::fprintf(stderr, "zfan: %s\n", s.message().c_str());
    return ExitCodeFor(s);
  }
  InstallStopSignalHandlers();
  auto runner = MasterRunner::Create(o.self_exe);
  if (!runner.ok()) {
    std::fprintf(stderr, "zfan: %s\n", runner.status().message().c_str());
    return ExitCodeFor(runner.status());
  }
  Study study{.job = o.job,
              .job_args = o.job_args,
              .weak = o.weak,
              .external = o.external,
              .machine = ReadMachine()};
  WarnAboutNoise(o, study.machine);
  std::vector<CountSample> samples;
  for (uint32_t workers : o.workers) {
    double work = 1;
    auto args = MasterArgs(o, workers, work);
    if (!args.ok()) {
      std::fprintf(stderr, "zfan: %s\n", args.status().message().c_str());
      return ExitCodeFor(args.status());
    }
    study.commands.push_back(MasterCommand(*args));
    auto sample = RunCount(o, *runner, *args, workers, work, &study.worker_rates.emplace_back());
    if (!sample.ok()) {
      std::fprintf(stderr, "zfan: %s\n", sample.status().message().c_str());
      return runner->failure_exit_code();
    }
    samples.push_back(std::move(sample).value());
  }
  study.counts = Summarise(samples);
  study.fit = FitScaling(study.counts, o.weak);
  WarnAboutNoisyCounts(study.counts);
  PrintStudy(std::cout, study);
  std::cout.flush();
  if (Status s = WriteExports(o, study); !s.ok()) {
    std::fprintf(stderr, "zfan: %s\n", s.message().c_str());
    return ExitCodeFor(s);
  }
  return ExitCode::kOk;
}

}  // namespace zfan::scale
