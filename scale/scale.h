// `zfan scale`: runs one job at several worker counts and reports how it scales (speedup,
// efficiency, Karp–Flatt, Amdahl/USL fits) as a table and JSON/CSV/Markdown/SVG exports.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/exit_codes.h"
#include "common/status.h"
#include "scale/stats.h"

namespace zfan::scale {

struct ScaleOptions {
  std::string job;
  std::vector<std::string> job_args;  // job (and master) options, passed to every master as given
  std::vector<uint32_t> workers;      // ascending, distinct, ≥ 1 (ParseWorkerCounts)
  uint32_t runs = 3;                  // timed runs per count
  uint32_t warmup = 0;                // untimed runs per count, before the timed ones
  bool weak = false;                  // grow the job with the worker count (Gustafson)
  bool external = false;              // connected workers (--use-workers), not local ones
  std::string export_json;
  std::string export_csv;
  std::string export_markdown;
  std::string plot;      // an SVG file, drawn by gnuplot
  std::string self_exe;  // the zfan binary
};

// "1,2,4,8" → {1, 2, 4, 8}, sorted. Refuses empty items, non-numbers, 0, and repeats.
Result<std::vector<uint32_t>> ParseWorkerCounts(const std::string& text);

// Where the study ran, recorded before the first run.
struct Machine {
  unsigned cores = 0;                  // std::thread::hardware_concurrency()
  std::array<double, 3> loadavg = {};  // /proc/loadavg: 1, 5 and 15 minutes
  std::string host;
};

// One worker's figures in a master's run: on unequal machines they tell which one is slow.
struct WorkerRate {
  std::string id;
  std::string host;
  uint64_t tasks = 0;
  double tasks_per_s = 0;
  double busy_share = 0;   // its part of all workers' busy time
  double utilisation = 0;  // busy / (elapsed × its slots)
};

struct Study {
  std::string job;
  std::vector<std::string> job_args;
  bool weak = false;
  bool external = false;
  Machine machine;
  std::vector<std::string> commands;  // the master command of each count, as a user would type it
  std::vector<CountStats> counts;
  std::vector<std::vector<WorkerRate>> worker_rates;  // per count: the last timed run's workers
  ScalingFit fit;
};

// Runs the study, prints the table on stdout, writes the exports; returns the exit code.
ExitCode RunScale(const ScaleOptions& options);

}  // namespace zfan::scale
