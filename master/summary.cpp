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

// The summary checks its own figures: the workers cannot have been busy longer than the job's
// clock ran on all their slots. A violation means the clock (or a worker's) is wrong.
struct TimingCheck {
  double busy_s = 0;
  double capacity_s = 0;
  bool consistent = true;
};

constexpr double kClockSlackS = 0.005;  // per worker: its busy time and our clock differ this much

TimingCheck CheckTiming(const JobReport& r, const WorkerRegistry& workers) {
  TimingCheck c;
  double slack = 0;
  for (const auto& [id, w] : workers.all()) {
    if (w.standby) continue;
    c.busy_s += w.busy_us / 1e6;
    c.capacity_s += r.elapsed_s * w.slots;
    slack += kClockSlackS * w.slots;
  }
  c.consistent = c.busy_s <= c.capacity_s * 1.01 + slack;
  return c;
}

double Utilisation(const WorkerRecord& w, double elapsed_s) {
  return elapsed_s > 0 ? w.busy_us / 1e6 / (elapsed_s * w.slots) : 0.0;
}

}  // namespace

nlohmann::json ReportJson(const JobReport& r, const WorkerRegistry& workers,
                          const nlohmann::json& result) {
  TimingCheck timing = CheckTiming(r, workers);
  nlohmann::json ws = nlohmann::json::array();
  for (const auto& [id, w] : workers.all()) {
    ws.push_back({{"id", id},
                  {"host", w.info.host},
                  {"pid", w.info.pid},
                  {"slots", w.slots},
                  {"tasks", w.tasks},
                  {"failures", w.failures},
                  {"busy_s", w.busy_us / 1e6},
                  {"utilisation", Utilisation(w, r.elapsed_s)},
                  {"busy_share", timing.busy_s > 0 ? w.busy_us / 1e6 / timing.busy_s : 0.0},
                  {"tasks_per_s", r.elapsed_s > 0 ? w.tasks / r.elapsed_s : 0.0},
                  {"peak_held", w.peak_held},
                  {"alive", w.alive},
                  {"standby", w.standby},
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
          {"timing",
           {{"busy_s", timing.busy_s},
            {"capacity_s", timing.capacity_s},
            {"consistent", timing.consistent}}},
          {"security", {{"curve", r.curve}, {"refused", r.auth_refused}}},
          {"workers", ws},
          {"dead_workers", r.dead_workers},
          {"failures", failures},
          {"failures_by_reason", by_reason},
          {"result", result}};
}

void PrintReport(std::ostream& out, const JobReport& r, const WorkerRegistry& workers) {
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %-16s %8s %6s %10s %9s %9s %6s %6s %9s\n", "worker",
                "host", "pid", "slots", "tasks", "tasks/s", "busy_s", "share", "util", "failures");
  out << line;
  const TimingCheck timing = CheckTiming(r, workers);
  const double all_busy_s = timing.busy_s;
  for (const auto& [id, w] : workers.all()) {
    std::string name = id + (w.standby ? " (standby)"
                             : w.alive ? ""
                             : w.left  ? " (left)"
                                       : " (dead)");
    const double busy_s = w.busy_us / 1e6;
    std::snprintf(
        line, sizeof line, "%-24s %-16s %8u %6u %10llu %9.1f %9.2f %5.0f%% %5.0f%% %9llu\n",
        name.c_str(), w.info.host.c_str(), w.info.pid, w.slots,
        static_cast<unsigned long long>(w.tasks), r.elapsed_s > 0 ? w.tasks / r.elapsed_s : 0.0,
        busy_s, all_busy_s > 0 ? 100 * busy_s / all_busy_s : 0.0, 100 * Utilisation(w, r.elapsed_s),
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
  if (r.auth_refused) out << r.auth_refused << " connections refused (key not authorized)\n";
  if (const TimingCheck& t = timing; !t.consistent) {
    std::snprintf(line, sizeof line,
                  "warning: workers report %.3f s busy, more than the %.3f s the job's clock "
                  "allows on their slots: a clock is wrong\n",
                  t.busy_s, t.capacity_s);
    out << line;
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
