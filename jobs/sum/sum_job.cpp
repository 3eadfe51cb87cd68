// Master side makes chunks of [0, n); in data mode each task carries the chunk's numbers (as the
// seed ships lists to its Pool), in --ranges mode only the bounds. Partial sums are 128-bit.
#include "jobs/sum/sum_job.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "jobs/numbers.h"
#include "jobs/thread_pool_runner.h"

namespace zfan::jobs {
namespace {

struct SumOptions {
  std::string n_text = "1000000";
  std::string chunk_text = "auto";
  bool ranges = false;
  uint32_t delay_ms = 0;
};

u128 SumOfData(const std::string& payload) {
  u128 total = 0;
  const size_t count = payload.size() / 8;
  for (size_t i = 0; i < count; ++i) {
    uint64_t v;
    std::memcpy(&v, payload.data() + i * 8, 8);
    total += v;
  }
  return total;
}

u128 SumOfRange(Range r) {
  u128 total = 0;
  for (uint64_t v = r.lo; v < r.hi; ++v) total += v;
  return total;
}

TaskOutcome RunSumTask(bool ranges, uint32_t delay_ms, const TaskSpec& task) {
  if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  TaskOutcome out;
  u128 partial = 0;
  if (ranges) {
    auto r = DecodeRange(task.payload);
    if (!r) return TaskOutcome{.error = "BAD_TASK", .detail = "range payload is not 16 bytes"};
    partial = SumOfRange(*r);
  } else {
    if (task.payload.size() % 8 != 0) {
      return TaskOutcome{.error = "BAD_TASK", .detail = "chunk data is not whole uint64s"};
    }
    partial = SumOfData(task.payload);
  }
  out.result = "\"" + U128ToString(partial) + "\"";
  return out;
}

class SumJob final : public MasterJob {
 public:
  SumJob(uint64_t n, ChunkPlan plan, bool ranges, uint32_t delay_ms)
      : n_(n), plan_(std::move(plan)), ranges_(ranges), delay_ms_(delay_ms) {}

  std::string name() const override { return "sum"; }
  nlohmann::json worker_params() const override {
    return {{"ranges", ranges_}, {"delay_ms", delay_ms_}};
  }
  std::string fingerprint() const override {
    return "sum n=" + std::to_string(n_) + " " + plan_.describe();
  }
  uint64_t task_count() const override { return plan_.count(); }

  TaskSpec make_task(uint64_t index) const override {
    Range r = plan_.at(index);
    TaskSpec t{.id = index};
    if (ranges_) {
      t.payload = EncodeRange(r);
    } else {
      t.payload.resize((r.hi - r.lo) * 8);
      char* p = t.payload.data();
      for (uint64_t v = r.lo; v < r.hi; ++v, p += 8) std::memcpy(p, &v, 8);
    }
    return t;
  }

  Status fold(TaskOutcome& o, bool) override {
    auto text = nlohmann::json::parse(o.result, nullptr, false);
    std::optional<u128> partial;
    if (text.is_string()) partial = ParseU128(text.get<std::string>());
    if (!partial) return ProtocolError("partial sum is not a decimal string: " + o.result);
    total_ += *partial;
    ++folded_;
    return Status::Ok();
  }

  std::string describe(TaskId id) const override {
    Range r = plan_.at(id);
    return "chunk " + std::to_string(id) + " [" + std::to_string(r.lo) + ", " +
           std::to_string(r.hi) + ")";
  }

  nlohmann::json result_json() const override {
    return {{"sum", U128ToString(total_)},
            {"expected", U128ToString(Expected())},
            {"verified", verified_ok()},
            {"n", n_},
            {"chunk", plan_.guided() ? nlohmann::json("guided")
                                     : nlohmann::json(plan_.largest())},
            {"chunks", plan_.count()},
            {"mode", ranges_ ? "ranges" : "data"},
            {"data_bytes", ranges_ ? 0 : n_ * 8}};
  }

  void print_result(std::ostream& out) const override {
    out << "sum of range(" << n_ << ") = " << U128ToString(total_) << "  ("
        << (verified_ok() ? "verified: equals n(n-1)/2"
                          : "NOT verified: expected " + U128ToString(Expected()))
        << ")\n";
  }

  bool verified_ok() const override { return folded_ == task_count() && total_ == Expected(); }

 private:
  u128 Expected() const { return n_ == 0 ? 0 : static_cast<u128>(n_) * (n_ - 1) / 2; }

  uint64_t n_;
  ChunkPlan plan_;
  bool ranges_;
  uint32_t delay_ms_;
  u128 total_ = 0;
  uint64_t folded_ = 0;
};

// Data mode ships chunks of 100 numbers by default, as the seed ships its lists to its Pool.
// --ranges ships bounds only, so its chunks are guided as for primes: half of [0, n) in the first
// four tasks, shrinking to n/64 (at least 1e5), so one worker runs few tasks and two finish
// together.
ChunkPlan AutoPlan(Range all, bool ranges) {
  if (!ranges) return ChunkPlan::Fixed(all, 100);
  return ChunkPlan::Guided(all, std::max<uint64_t>(100'000, all.hi / 64), UINT64_MAX);
}

MasterJobFactory AddSumCli(CLI::App& cmd) {
  auto opts = std::make_shared<SumOptions>();
  cmd.add_option("--n", opts->n_text, "sum range(N); 1e7 style allowed")->capture_default_str();
  cmd.add_option("--chunk", opts->chunk_text,
                 "numbers per task, or auto (data: 100 as the seed; --ranges: guided)")
      ->capture_default_str();
  cmd.add_flag("--ranges", opts->ranges, "ship only chunk bounds, not the numbers");
  cmd.add_option("--delay-ms", opts->delay_ms, "extra sleep per task (demos and fault tests)");
  return [opts]() -> Result<std::unique_ptr<MasterJob>> {
    auto n = ParseCount(opts->n_text, "--n");
    if (!n.ok()) return n.status();
    Range all{0, *n};
    if (opts->chunk_text == "auto") {
      return std::unique_ptr<MasterJob>(std::make_unique<SumJob>(
          *n, AutoPlan(all, opts->ranges), opts->ranges, opts->delay_ms));
    }
    auto chunk = ParseCount(opts->chunk_text, "--chunk");
    if (!chunk.ok()) return chunk.status();
    if (*chunk == 0) return UsageError("--chunk must be at least 1");
    if (!opts->ranges && *chunk > (2u << 20)) {  // two chunks must fit a TASKS envelope
      return UsageError("--chunk over 2097152 numbers is too large to ship as data; use --ranges");
    }
    return std::unique_ptr<MasterJob>(std::make_unique<SumJob>(
        *n, ChunkPlan::Fixed(all, *chunk), opts->ranges, opts->delay_ms));
  };
}

}  // namespace

JobEntry SumJobEntry() {
  return {
      .name = "sum",
      .help = "chunked sum of range(N), checked against N(N-1)/2",
      .add_cli = AddSumCli,
      .make_runner = [](const nlohmann::json& params, uint32_t slots,
                        CompletionSink sink) -> Result<std::unique_ptr<TaskRunner>> {
        bool ranges = params.value("ranges", false);
        uint32_t delay_ms = params.value("delay_ms", 0u);
        return MakePoolRunner(
            slots, [=](const TaskSpec& t) { return RunSumTask(ranges, delay_ms, t); },
            std::move(sink));
      },
  };
}

}  // namespace zfan::jobs
