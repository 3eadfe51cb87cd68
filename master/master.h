// The master: one process, one event loop — ventilator (tasks PUSH), sink (results PULL), control
// (PUB), worker registry, scheduler, journal, progress and summary.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/exit_codes.h"
#include "jobs/job.h"

namespace zfan::master {

struct MasterOptions {
  std::string bind = "127.0.0.1";
  int port = 5557;
  uint32_t local_workers = 0;
  uint32_t worker_slots = 0;  // slots of each local worker (0 = the job's default)
  uint32_t expect_workers = 0;
  uint32_t use_workers = 0;  // of the workers that joined, N take part, the rest stand by (0 = all)
  // Plan the job's tasks for N workers of --worker-slots each (0 = for the local workers, when
  // the job waits for no others). zfan scale plans every count for its largest.
  uint32_t plan_workers = 0;
  double wait_timeout_s = 60;
  bool json = false;
  bool quiet = false;  // no progress lines
  std::string joblog;
  std::string trace;  // --trace FILE.json: Chrome/Perfetto trace of every task attempt
  std::string journal;
  bool resume = false;
  uint32_t heartbeat_ms = 1000;  // passed to local workers
  uint32_t lease_ms = 1000;      // minimum; grows with task time (Scheduler::AdaptLease)
  uint32_t max_attempts = 3;
  bool speculate = true;
  bool shutdown_workers = false;
  double drain_timeout_s = 5;
  // Bytes of streamed result bodies (large downloads) between the workers and the disk at most.
  uint64_t max_inflight_bytes = 128ull << 20;
  double progress_interval_s = 0;  // 0 = 0.2 s on a tty, 5 s otherwise
  bool insecure = false;           // allow binding beyond loopback without CURVE
  std::string curve_secret;        // the master's PREFIX.key_secret (zfan keygen): CURVE on
  std::string authorized_workers;  // the workers' public keys, one per line (SIGHUP reloads)
  std::string self_exe;            // the zfan binary, to start local workers
  // Runs `zfan ARGS...` in the calling process and returns its exit code. When set, the local
  // workers started with the job are forked from the master and run this, instead of exec'ing
  // self_exe (see PreforkedWorkers); replacements for crashed ones are always exec'd.
  std::function<int(const std::vector<std::string>& args)> run_in_child;
  int verbosity = 1;
};

// Runs one job to the end and returns the process exit code. Never throws.
ExitCode RunMaster(std::unique_ptr<jobs::MasterJob> job, const MasterOptions& options);

}  // namespace zfan::master
