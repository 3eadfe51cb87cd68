// All three share one master side (N tasks, count what comes back) and differ in what a worker
// does per task. `--poison-task K` makes the worker process die on task K, to test that a task
// that kills its worker is not retried forever.
#include "jobs/synthetic/synthetic_jobs.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "jobs/numbers.h"
#include "jobs/thread_pool_runner.h"

namespace zfan::jobs {
namespace {

enum class Kind { kSleep, kSpin, kEcho };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kSleep:
      return "sleep";
    case Kind::kSpin:
      return "spin";
    case Kind::kEcho:
      return "echo";
  }
  return "?";
}

struct SyntheticOptions {
  std::string tasks_text = "1000";
  uint64_t ms = 100;                          // sleep
  std::string iterations_text = "200000000";  // spin, as in the seed's MuchCPU
  uint64_t bytes = 0;                         // echo payload size
  int64_t poison_task = -1;
};

struct WorkParams {
  Kind kind;
  uint64_t ms = 0;
  uint64_t iterations = 0;
  int64_t poison_task = -1;
};

// ZFAN_SLOW_FACTOR=F in a worker's environment makes its sleep and spin tasks take F times as
// long: a slow machine on demand, for tests and benchmarks of unequal workers.
uint64_t SlowFactor() {
  const char* text = std::getenv("ZFAN_SLOW_FACTOR");
  uint64_t factor = text ? std::strtoull(text, nullptr, 10) : 1;
  return std::clamp<uint64_t>(factor, 1, 1000);
}

TaskOutcome RunSynthetic(const WorkParams& p, const TaskSpec& task) {
  if (p.poison_task >= 0 && task.id == static_cast<uint64_t>(p.poison_task)) {
    std::_Exit(86);  // simulates a task that crashes its worker process
  }
  TaskOutcome out;
  switch (p.kind) {
    case Kind::kSleep:
      std::this_thread::sleep_for(std::chrono::milliseconds(p.ms));
      break;
    case Kind::kSpin: {
      // The counter stays in a register: the empty asm only stops the compiler from folding the
      // loop away. (A volatile counter made each iteration a store and a reload, and its speed
      // then depended on code and stack layout: 0.055-0.11 s per 2e8 iterations across builds.)
      uint64_t counter = 0;
      for (uint64_t i = 0; i < p.iterations; ++i) {
        ++counter;
        asm volatile("" : "+r"(counter));
      }
      out.result = std::to_string(counter);
      break;
    }
    case Kind::kEcho:
      out.bulk = task.payload;
      break;
  }
  return out;
}

class SyntheticJob final : public MasterJob {
 public:
  SyntheticJob(WorkParams params, uint64_t tasks, uint64_t bytes)
      : params_(params), tasks_(tasks), bytes_(bytes) {}

  std::string name() const override { return KindName(params_.kind); }
  nlohmann::json worker_params() const override {
    return {{"ms", params_.ms},
            {"iterations", params_.iterations},
            {"poison_task", params_.poison_task}};
  }
  std::string fingerprint() const override { return name() + " tasks=" + std::to_string(tasks_); }
  uint64_t task_count() const override { return tasks_; }
  TaskSpec make_task(uint64_t index) const override {
    TaskSpec t{.id = index};
    if (bytes_ > 0) t.payload = Payload(index);
    return t;
  }
  Status fold(TaskOutcome& o, bool from_journal) override {
    if (params_.kind == Kind::kSpin && !o.result.empty() &&
        o.result != std::to_string(params_.iterations)) {
      return ProtocolError("spin task counted to " + o.result);
    }
    if (params_.kind == Kind::kEcho && bytes_ > 0 && !from_journal && o.bulk != Payload(o.id)) {
      return ProtocolError("echo came back with different bytes");
    }
    ++done_;
    return Status::Ok();
  }
  nlohmann::json result_json() const override {
    return {{"tasks", tasks_}, {"completed", done_}, {"verified", verified_ok()}};
  }
  void print_result(std::ostream& out) const override {
    out << name() << ": " << done_ << " of " << tasks_ << " tasks completed\n";
  }
  bool verified_ok() const override { return done_ == tasks_; }

 private:
  // Deterministic bytes per task so the echo can be checked exactly.
  std::string Payload(uint64_t index) const {
    std::string s(bytes_, '\0');
    for (uint64_t i = 0; i < bytes_; ++i) s[i] = static_cast<char>((index * 31 + i) & 0xff);
    return s;
  }

  WorkParams params_;
  uint64_t tasks_;
  uint64_t bytes_;
  uint64_t done_ = 0;
};

MasterJobFactory AddSyntheticCli(Kind kind, CLI::App& cmd) {
  auto opts = std::make_shared<SyntheticOptions>();
  cmd.add_option("--tasks", opts->tasks_text, "number of tasks")->capture_default_str();
  if (kind == Kind::kSleep)
    cmd.add_option("--ms", opts->ms, "sleep per task")->capture_default_str();
  if (kind == Kind::kSpin) {
    cmd.add_option("--iterations", opts->iterations_text, "loop iterations per task")
        ->capture_default_str();
  }
  if (kind == Kind::kEcho)
    cmd.add_option("--bytes", opts->bytes, "payload bytes per task, echoed back");
  cmd.add_option("--poison-task", opts->poison_task,
                 "the worker process dies on this task id (for fault tests)");
  return [opts, kind]() -> Result<std::unique_ptr<MasterJob>> {
    auto tasks = ParseCount(opts->tasks_text, "--tasks");
    if (!tasks.ok()) return tasks.status();
    auto iterations = ParseCount(opts->iterations_text, "--iterations");
    if (!iterations.ok()) return iterations.status();
    if (opts->bytes > (16u << 20)) return UsageError("--bytes is capped at 16777216");
    WorkParams p{kind, opts->ms, *iterations, opts->poison_task};
    return std::unique_ptr<MasterJob>(std::make_unique<SyntheticJob>(p, *tasks, opts->bytes));
  };
}

JobEntry SyntheticEntry(Kind kind, std::string help) {
  return {
      .name = KindName(kind),
      .help = std::move(help),
      .add_cli = [kind](CLI::App& cmd) { return AddSyntheticCli(kind, cmd); },
      .make_runner = [kind](const nlohmann::json& params, uint32_t slots,
                            CompletionSink sink) -> Result<std::unique_ptr<TaskRunner>> {
        const uint64_t slow = SlowFactor();
        WorkParams p{kind, params.value("ms", uint64_t{0}) * slow,
                     params.value("iterations", uint64_t{0}) * slow,
                     params.value("poison_task", int64_t{-1})};
        return MakePoolRunner(
            slots, [p](const TaskSpec& t) { return RunSynthetic(p, t); }, std::move(sink));
      },
  };
}

}  // namespace

JobEntry SleepJobEntry() { return SyntheticEntry(Kind::kSleep, "tasks that sleep --ms each"); }
JobEntry SpinJobEntry() { return SyntheticEntry(Kind::kSpin, "tasks that spin the CPU"); }
JobEntry EchoJobEntry() {
  return SyntheticEntry(Kind::kEcho, "near-empty tasks: measures per-task overhead");
}

}  // namespace zfan::jobs
