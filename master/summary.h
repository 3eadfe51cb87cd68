// The end-of-job report: a per-worker table and the job's result on stdout, or one JSON object.
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "master/scheduler.h"
#include "master/worker_registry.h"

namespace zfan::master {

struct FailureRecord {
  std::string task;    // the job's description (URL, chunk bounds)
  std::string reason;  // typed reason
  std::string detail;
  uint32_t attempts = 1;
};

struct JobReport {
  std::string job;
  double elapsed_s = 0;
  uint64_t total = 0;
  uint64_t done = 0;
  uint64_t failed = 0;
  uint64_t resumed = 0;   // done from the journal
  uint64_t skipped = 0;   // found done by the job itself (files already on disk)
  uint64_t rejected = 0;  // inputs refused before becoming tasks (counted in `failed`)
  std::string task_noun = "task";
  uint64_t bad_frames = 0;
  uint64_t stale = 0;    // results of another job (after a master restart)
  uint64_t bytes = 0;    // bulk bytes received
  uint64_t batches = 0;  // TASKS messages sent: tasks / batches is how deep dispatch ran
  bool interrupted = false;
  bool curve = false;         // the sockets ran CURVE with an allowlist
  uint64_t auth_refused = 0;  // handshakes the ZAP handler refused (keys not on the allowlist)
  SchedulerStats stats;
  std::vector<FailureRecord> failures;
  std::vector<std::string> dead_workers;
};

nlohmann::json ReportJson(const JobReport& r, const WorkerRegistry& workers,
                          const nlohmann::json& result);
void PrintReport(std::ostream& out, const JobReport& r, const WorkerRegistry& workers);

}  // namespace zfan::master
