// Master side: chunks of [from, to); folds counts, keeps each chunk's head/tail to report the first
// and last primes overall, and with --list writes every prime in order as chunks complete.
#include "jobs/primes/primes_job.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <primesieve.hpp>

#include "jobs/primes/prime_math.h"
#include "jobs/thread_pool_runner.h"

namespace zfan::jobs {
namespace {

struct PrimesOptions {
  std::string from_text = "0";
  std::string to_text = "10000000";
  std::string chunk_text = "auto";
  std::string method = "sieve";
  std::string list_path;
};

std::string PackPrimes(const std::vector<uint64_t>& primes) {
  std::string out(primes.size() * 8, '\0');
  if (!primes.empty()) std::memcpy(out.data(), primes.data(), out.size());
  return out;
}

TaskOutcome RunPrimesTask(PrimeMethod method, bool want_all, const TaskSpec& task) {
  auto r = DecodeRange(task.payload);
  if (!r) return TaskOutcome{.error = "BAD_TASK", .detail = "range payload is not 16 bytes"};
  ChunkPrimes p = PrimesInChunk(*r, method, want_all);
  TaskOutcome out;
  out.result = nlohmann::json{{"c", p.count}, {"h", p.head}, {"t", p.tail}}.dump();
  if (want_all) out.bulk = PackPrimes(p.all);
  return out;
}

// Writes chunks' primes to the --list file in chunk order, holding early arrivals until their
// predecessors are written.
class OrderedPrimeWriter {
 public:
  Status Open(const std::string& path) {
    out_.open(path, std::ios::out | std::ios::trunc);
    if (!out_) return IoError("cannot write --list file '" + path + "'");
    return Status::Ok();
  }
  bool enabled() const { return out_.is_open(); }
  Status Add(uint64_t index, Bytes packed) {
    pending_[index] = std::move(packed);
    while (!pending_.empty() && pending_.begin()->first == next_) {
      const Bytes& bytes = pending_.begin()->second;
      for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
        uint64_t p;
        std::memcpy(&p, bytes.data() + i, 8);
        out_ << p << '\n';
      }
      pending_.erase(pending_.begin());
      ++next_;
    }
    if (!out_) return IoError("writing the --list file failed (disk full?)");
    return Status::Ok();
  }

 private:
  std::ofstream out_;
  std::map<uint64_t, Bytes> pending_;
  uint64_t next_ = 0;
};

class PrimesJob final : public MasterJob {
 public:
  // `fixed_chunk`: --chunk C, or 0 for auto (planned again once the master knows its slots).
  PrimesJob(Range range, uint64_t fixed_chunk, PrimeMethod method, std::string list_path)
      : range_(range),
        fixed_chunk_(fixed_chunk),
        method_(method),
        list_path_(std::move(list_path)),
        plan_(Plan(/*slots=*/0)) {}

  std::string name() const override { return "primes"; }
  nlohmann::json worker_params() const override {
    return {{"method", method_ == PrimeMethod::kSieve ? "sieve" : "trial"},
            {"list", !list_path_.empty()}};
  }
  std::string fingerprint() const override {
    return "primes from=" + std::to_string(range_.lo) + " to=" + std::to_string(range_.hi) + " " +
           plan_.describe();
  }
  Status check_resume() const override {
    if (list_path_.empty()) return Status::Ok();
    return UsageError(
        "--list cannot be combined with --resume (the journal keeps counts, not primes)");
  }
  void configure(const MasterSettings& s) override { plan_ = Plan(s.planned_slots); }
  Status prepare() override { return list_path_.empty() ? Status::Ok() : writer_.Open(list_path_); }
  uint64_t task_count() const override { return plan_.count(); }
  TaskSpec make_task(uint64_t index) const override {
    return {.id = index, .payload = EncodeRange(plan_.at(index))};
  }
  std::string describe(TaskId id) const override {
    Range r = plan_.at(id);
    return "[" + std::to_string(r.lo) + ", " + std::to_string(r.hi) + ")";
  }

  Status fold(TaskOutcome& o, bool) override {
    auto j = nlohmann::json::parse(o.result, nullptr, false);
    if (!j.is_object() || !j.contains("c") || !j["c"].is_number_unsigned()) {
      return ProtocolError("prime chunk result is malformed");
    }
    ChunkPrimes p;
    p.count = j["c"].get<uint64_t>();
    p.head = j.value("h", std::vector<uint64_t>{});
    p.tail = j.value("t", std::vector<uint64_t>{});
    count_ += p.count;
    chunks_[o.id] = {std::move(p.head), std::move(p.tail)};
    if (writer_.enabled()) return writer_.Add(o.id, std::move(o.bulk));
    return Status::Ok();
  }

  void finish() override {
    for (auto it = chunks_.begin(); it != chunks_.end() && first_.size() < kHeadTail; ++it) {
      for (uint64_t p : it->second.first) {
        if (first_.size() < kHeadTail) first_.push_back(p);
      }
    }
    for (auto it = chunks_.rbegin(); it != chunks_.rend() && last_.size() < kHeadTail; ++it) {
      const auto& tail = it->second.second;
      for (auto p = tail.rbegin(); p != tail.rend() && last_.size() < kHeadTail; ++p) {
        last_.insert(last_.begin(), *p);
      }
    }
    complete_ = chunks_.size() == task_count();
  }

  nlohmann::json result_json() const override {
    nlohmann::json j = {{"count", count_},
                        {"first", first_},
                        {"last", last_},
                        {"from", range_.lo},
                        {"to", range_.hi},
                        {"chunk", plan_.guided() ? nlohmann::json("guided")
                                                 : nlohmann::json(plan_.largest())},
                        {"chunks", plan_.count()},
                        {"method", method_ == PrimeMethod::kSieve ? "sieve" : "trial"}};
    auto known = KnownPrimeCount(range_.lo, range_.hi);
    j["verified"] = known ? nlohmann::json(complete_ && *known == count_) : nlohmann::json();
    return j;
  }

  void print_result(std::ostream& out) const override {
    out << "primes in [" << range_.lo << ", " << range_.hi << "): " << count_;
    auto known = KnownPrimeCount(range_.lo, range_.hi);
    if (known)
      out << (verified_ok() ? "  (verified: equals pi(to))"
                            : "  (NOT verified: pi(to) = " + std::to_string(*known) + ")");
    out << "\nfirst: " << nlohmann::json(first_).dump()
        << "\nlast:  " << nlohmann::json(last_).dump() << "\n";
    if (!list_path_.empty()) out << "all primes written to " << list_path_ << "\n";
  }

  bool verified_ok() const override {
    auto known = KnownPrimeCount(range_.lo, range_.hi);
    return !known || (complete_ && *known == count_);
  }

 private:
  ChunkPlan Plan(uint32_t slots) const {
    if (fixed_chunk_) return ChunkPlan::Fixed(range_, fixed_chunk_);
    return PrimesAutoPlan(range_, method_, !list_path_.empty(), slots);
  }

  Range range_;
  uint64_t fixed_chunk_;
  PrimeMethod method_;
  std::string list_path_;
  ChunkPlan plan_;
  OrderedPrimeWriter writer_;
  uint64_t count_ = 0;
  std::map<TaskId, std::pair<std::vector<uint64_t>, std::vector<uint64_t>>> chunks_;
  std::vector<uint64_t> first_, last_;
  bool complete_ = false;
};

MasterJobFactory AddPrimesCli(CLI::App& cmd) {
  auto opts = std::make_shared<PrimesOptions>();
  cmd.add_option("--from", opts->from_text, "first number (inclusive)")->capture_default_str();
  cmd.add_option("--to", opts->to_text, "end (exclusive); 1e9 style allowed")
      ->capture_default_str();
  cmd.add_option("--chunk", opts->chunk_text, "numbers per task, or auto (guided for the sieve)")
      ->capture_default_str();
  cmd.add_option("--method", opts->method, "sieve (libprimesieve) or trial (the seeds' division)")
      ->check(CLI::IsMember({"sieve", "trial"}))
      ->capture_default_str();
  cmd.add_option("--list", opts->list_path, "write every prime, in order, to FILE");
  return [opts]() -> Result<std::unique_ptr<MasterJob>> {
    auto from = ParseCount(opts->from_text, "--from");
    if (!from.ok()) return from.status();
    auto to = ParseCount(opts->to_text, "--to");
    if (!to.ok()) return to.status();
    if (*to < *from) return UsageError("--to must not be below --from");
    Range r{*from, *to};
    auto method = opts->method == "trial" ? PrimeMethod::kTrial : PrimeMethod::kSieve;
    bool list = !opts->list_path.empty();
    uint64_t fixed_chunk = 0;
    if (opts->chunk_text != "auto") {
      auto c = ParseCount(opts->chunk_text, "--chunk");
      if (!c.ok()) return c.status();
      if (*c == 0) return UsageError("--chunk must be at least 1");
      if (list && *c > kMaxListChunk) {
        return UsageError("--list needs --chunk of at most 1e8 so a chunk's primes fit a message");
      }
      fixed_chunk = *c;
    }
    return std::unique_ptr<MasterJob>(
        std::make_unique<PrimesJob>(r, fixed_chunk, method, opts->list_path));
  };
}

}  // namespace

// libprimesieve sieves long ranges faster per number than short ones (measured on 1e10: chunks
// of 7.8e7 cost 30 % more than one call, chunks of 3e8 under 5 %), yet equal chunks large enough
// for one worker leave two workers unbalanced at the end. So sieve chunks are guided: half the
// range in the first four, shrinking to range/64 (20 tasks in all below 1e10), but never below
// the full pre-sieve's width (kFullPreSieveSpan) unless the range is too small for 6 such tasks.
// Below 2e9 that means fewer tasks: 12 for 2e9, whose sieving in one process went from 227 ms
// (20 tasks) to 219 ms, against 195-202 ms for a single call. Trial division costs per number,
// so it takes ~1000 smaller fixed chunks.
// One slot has no one to balance with, and any split costs libprimesieve itself (two halves of
// [0, 1e10) +4.5 %, the guided plan +8 %, measured in one process): its chunks are as few as
// kOneSlotChunk allows, equal so that none is a short, slow remnant.
ChunkPlan PrimesAutoPlan(Range r, PrimeMethod method, bool list, uint32_t slots) {
  uint64_t span = r.hi - r.lo;
  if (method == PrimeMethod::kTrial) {
    return ChunkPlan::Fixed(r, std::max<uint64_t>(10'000, span / 1000 + 1));
  }
  uint64_t max_chunk = list ? kMaxListChunk : UINT64_MAX;
  if (slots == 1) {
    uint64_t parts = std::max<uint64_t>(1, ChunkCount(r, std::min(max_chunk, kOneSlotChunk)));
    uint64_t equal_chunk = ChunkCount(r, parts);  // ceil(span / parts)
    return ChunkPlan::Fixed(r, std::max<uint64_t>(1, equal_chunk));
  }
  constexpr uint64_t kFullWidthTasks = 6;  // fewer tasks than this would starve a few workers
  uint64_t min_chunk = std::max<uint64_t>(
      {1'000'000, span / 64,
       std::min(kFullPreSieveSpan, (span + kFullWidthTasks - 1) / kFullWidthTasks)});
  return ChunkPlan::Guided(r, std::min(max_chunk, min_chunk), max_chunk);
}

JobEntry PrimesJobEntry() {
  return {
      .name = "primes",
      .help = "count (and list) the primes in [from, to)",
      .add_cli = AddPrimesCli,
      .make_runner = [](const nlohmann::json& params, uint32_t slots,
                        CompletionSink sink) -> Result<std::unique_ptr<TaskRunner>> {
        // Each slot is one thread; libprimesieve must not start its own on top.
        primesieve::set_num_threads(1);
        auto method =
            params.value("method", "sieve") == "trial" ? PrimeMethod::kTrial : PrimeMethod::kSieve;
        bool want_all = params.value("list", false);
        return MakePoolRunner(
            slots, [=](const TaskSpec& t) { return RunPrimesTask(method, want_all, t); },
            std::move(sink));
      },
  };
}

}  // namespace zfan::jobs
