#include "master/summary.h"

#include <cstdio>
#include <map>

#include "master/progress.h"

namespace zfan::master {

namespace {

// Rate of the tasks this run computed (not those replayed from a journal or found done).
double TasksPerSecond(const JobReport& r) {
  uint64_t computed = r.done - std::min(r.done, r.resumed + r.skipped);
  return r.elapsed_s > 0 ? computed / r.elapsed_s : 0.0;
}

}  // namespace

nlohmann::json ReportJson(const JobReport& r, const WorkerRegistry& workers,
                          const nlohmann::json& result) {
  nlohmann::json ws = nlohmann::json::array();
  for (const auto& [id, w] : workers.all()) {
    ws.push_back({{"id", id},
                  {"host", w.info.host},
                  {"pid", w.info.pid},
                  {"slots", w.slots},
                  {"tasks", w.tasks},
                  {"failures", w.failures},
                  {"busy_s", w.busy_us / 1e6},
                  {"peak_held", w.peak_held},
                  {"alive", w.alive},
                  {"deaths", w.deaths}});
  }
  nlohmann::json failures = nlohmann::json::array();
  std::map<std::string, uint64_t> by_reason;
  for (const auto& f : r.failures) {
    failures.push_back({{r.task_noun, f.task},
                        {"reason", f.reason},
                        {"detail", f.detail},
                        {"attempts", f.attempts}});
    ++by_reason[f.reason];
  }
  return {{"job", r.job},
          {"elapsed_s", r.elapsed_s},
          {"interrupted", r.interrupted},
          {"tasks",
           {{"total", r.total},
            {"done", r.done},
            {"failed", r.failed},
            {"resumed", r.resumed},
            {"skipped", r.skipped},
            {"rejected", r.rejected},
            {"duplicates", r.stats.duplicates},
            {"requeued", r.stats.requeued},
            {"retried", r.stats.retried},
            {"speculated", r.stats.speculated},
            {"speculation_won", r.stats.speculation_won},
            {"bad_frames", r.bad_frames},
            {"stale", r.stale}}},
          {"bytes", r.bytes},
          {"batches", r.batches},
          {"tasks_per_s", TasksPerSecond(r)},
          {"workers", ws},
          {"dead_workers", r.dead_workers},
          {"failures", failures},
          {"failures_by_reason", by_reason},
          {"result", result}};
}

void PrintReport(std::ostream& out, const JobReport& r, const WorkerRegistry& workers) {
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %-16s %8s %6s %10s %9s %9s\n", "worker", "host", "pid",
                "slots", "tasks", "busy_s", "failures");
  out << line;
  for (const auto& [id, w] : workers.all()) {
    std::string name = id + (w.alive ? "" : w.left ? " (left)" : " (dead)");
    std::snprintf(line, sizeof line, "%-24s %-16s %8u %6u %10llu %9.2f %9llu\n", name.c_str(),
                  w.info.host.c_str(), w.info.pid, w.slots,
                  static_cast<unsigned long long>(w.tasks), w.busy_us / 1e6,
                  static_cast<unsigned long long>(w.failures));
    out << line;
  }
  out << "job " << r.job << ": " << r.done << "/" << r.total << " tasks done";
  if (r.resumed) out << " (" << r.resumed << " from the journal)";
  if (r.skipped) out << " (" << r.skipped << " already done, skipped)";
  out << ", " << r.failed << " failed, " << r.stats.duplicates << " duplicates, "
      << r.stats.requeued << " requeued, " << r.stats.speculated << " speculated ("
      << r.stats.speculation_won << " won), " << r.bad_frames << " bad frames";
  std::snprintf(line, sizeof line, " in %.3f s (%.0f tasks/s)", r.elapsed_s, TasksPerSecond(r));
  out << line << "\n";
  if (r.bytes) {
    out << "received " << HumanBytes(static_cast<double>(r.bytes)) << " ("
        << HumanBytes(r.elapsed_s > 0 ? r.bytes / r.elapsed_s : 0) << "/s)\n";
  }
  for (const auto& id : r.dead_workers) out << "worker " << id << " was declared dead\n";
  size_t shown = 0;
  for (const auto& f : r.failures) {
    if (++shown > 20) {
      out << "... and " << r.failures.size() - 20 << " more failures (see --json)\n";
      break;
    }
    out << "FAILED " << f.task << ": " << f.reason
        << (f.detail.empty() ? "" : " (" + f.detail + ")") << " after " << f.attempts
        << " attempt(s)\n";
  }
  if (r.interrupted) out << "interrupted: the result below is partial\n";
}

}  // namespace zfan::master
