// The exec job's master side: inputs become tasks (task i is input line i, {#} = i + 1), each
// outcome is printed as one block and recorded for the joblog in GNU parallel's format, and
// --resume / --resume-failed skip what that joblog says is done.
#include "jobs/exec/exec_job.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <unordered_map>

#include "common/xxh128.h"
#include "jobs/exec/command_line.h"
#include "jobs/exec/output_printer.h"
#include "jobs/exec/parallel_joblog.h"

namespace zfan::jobs {
namespace {

constexpr size_t kMaxDescribedInput = 200;

Result<std::vector<std::string>> ReadInputLines(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return UsageError("cannot read --inputs '" + path + "'");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

// No argv can hold a NUL byte: such an input could not reach the command intact.
Status CheckNoNul(const std::vector<std::string>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].find('\0') != std::string::npos) {
      return UsageError("input " + std::to_string(i + 1) +
                        " holds a NUL byte, which no command argument can carry");
    }
  }
  return Status::Ok();
}

class ExecJob final : public MasterJob {
 public:
  explicit ExecJob(ExecJobConfig c) : c_(std::move(c)) {}

  std::string name() const override { return "exec"; }
  nlohmann::json worker_params() const override { return c_.settings.ToJson(); }
  std::string fingerprint() const override;
  void configure(const MasterSettings& s) override;
  Status prepare() override;
  uint64_t task_count() const override { return inputs_.size(); }
  TaskSpec make_task(uint64_t index) const override {
    return {.id = index, .payload = inputs_[index]};
  }
  Status fold(TaskOutcome& o, bool from_journal) override;
  void failed(TaskId id, const TaskOutcome& last) override;
  std::vector<std::pair<TaskId, std::string>> done_before_start() const override;
  std::string task_noun() const override { return "input"; }
  std::string describe(TaskId id) const override;
  bool retryable(const std::string& reason) const override;
  void finish() override { printer_->Flush(); }
  nlohmann::json result_json() const override;
  void print_result(std::ostream& out) const override;
  bool verified_ok() const override;
  bool owns_stdout() const override { return !json_; }
  bool speculation_safe() const override { return false; }
  bool resumes_from_joblog() const override { return resume_ || c_.resume_failed; }
  std::string joblog_header() const override { return ParallelJoblogHeader(); }
  std::string joblog_line(const JoblogEntry& e) const override;

 private:
  void Record(TaskId id, const ExecRun& run);
  void WarnTruncated(TaskId id, const ExecRun& run) const;

  ExecJobConfig c_;
  std::vector<std::string> inputs_;
  std::string joblog_;
  bool resume_ = false;
  bool json_ = false;
  std::unique_ptr<OutputPrinter> printer_ = std::make_unique<OutputPrinter>(false, stdout, stderr);
  std::set<uint64_t> done_seqs_;                         // from the joblog (--resume)
  std::vector<uint8_t> results_;                         // per input: results folded or failed
  mutable std::unordered_map<TaskId, ExecRun> pending_;  // runs whose joblog line is not written
  uint64_t succeeded_ = 0, failed_ = 0, skipped_ = 0, truncated_ = 0;
  uint64_t stdout_bytes_ = 0, stderr_bytes_ = 0;
};

std::string ExecJob::fingerprint() const {
  std::string all = c_.settings.command;
  for (const auto& in : inputs_) all += '\n' + in;
  return "exec " + Xxh128Hex(all);
}

void ExecJob::configure(const MasterSettings& s) {
  joblog_ = s.joblog;
  resume_ = s.resume;
  json_ = s.json;
  printer_ = std::make_unique<OutputPrinter>(c_.keep_order, s.json ? nullptr : stdout, stderr);
}

Status ExecJob::prepare() {
  if (c_.inputs_path.empty()) {
    inputs_ = c_.args;
  } else {
    auto lines = ReadInputLines(c_.inputs_path);
    if (!lines.ok()) return lines.status();
    inputs_ = std::move(lines).value();
  }
  if (Status s = CheckNoNul(inputs_); !s.ok()) return s;
  results_.assign(inputs_.size(), 0);
  if (!resumes_from_joblog()) return Status::Ok();
  if (joblog_.empty()) return UsageError("--resume and --resume-failed read the --joblog FILE");
  auto done = ReadDoneSeqs(joblog_, c_.resume_failed);
  if (!done.ok()) return done.status();
  done_seqs_ = std::move(done).value();
  for (uint64_t seq : done_seqs_) {
    if (seq == 0 || seq > inputs_.size()) continue;
    ++skipped_;
    results_[seq - 1] = 1;
    printer_->Skip(seq - 1);
  }
  return Status::Ok();
}

std::vector<std::pair<TaskId, std::string>> ExecJob::done_before_start() const {
  std::vector<std::pair<TaskId, std::string>> done;
  for (uint64_t seq : done_seqs_) {
    if (seq > 0 && seq <= inputs_.size()) done.emplace_back(seq - 1, "{\"resumed\":true}");
  }
  return done;
}

Status ExecJob::fold(TaskOutcome& o, bool from_journal) {
  ++results_[o.id];
  if (from_journal) {  // --resume with a --journal: done in an earlier run, nothing to print
    ++skipped_;
    printer_->Skip(o.id);
    return Status::Ok();
  }
  ExecRun run = ExecRun::FromJson(nlohmann::json::parse(o.result, nullptr, false));
  ++succeeded_;
  Record(o.id, run);
  printer_->Add(o.id, std::move(o.bulk), std::move(o.bulk2));
  return Status::Ok();
}

void ExecJob::failed(TaskId id, const TaskOutcome& last) {
  ++results_[id];
  ++failed_;
  ExecRun run{.start_epoch_s = EpochSecondsNow(), .exit_code = -1};
  if (!last.result.empty())
    run = ExecRun::FromJson(nlohmann::json::parse(last.result, nullptr, false));
  Record(id, run);
  std::fprintf(stderr, "zfan: %s failed: %s (%s)\n", describe(id).c_str(), last.error.c_str(),
               last.detail.c_str());
  printer_->Add(id, last.bulk, last.bulk2);
}

void ExecJob::Record(TaskId id, const ExecRun& run) {
  stdout_bytes_ += run.stdout_bytes;
  stderr_bytes_ += run.stderr_bytes;
  if (run.stdout_truncated || run.stderr_truncated) {
    ++truncated_;
    WarnTruncated(id, run);
  }
  if (!joblog_.empty()) pending_[id] = run;
}

void ExecJob::WarnTruncated(TaskId id, const ExecRun& run) const {
  auto kept = [&](uint64_t total) { return std::min<uint64_t>(total, c_.settings.max_output); };
  std::fprintf(stderr,
               "zfan: %s: output truncated (--max-output %llu): stdout %llu of %llu bytes kept, "
               "stderr %llu of %llu\n",
               describe(id).c_str(), static_cast<unsigned long long>(c_.settings.max_output),
               static_cast<unsigned long long>(kept(run.stdout_bytes)),
               static_cast<unsigned long long>(run.stdout_bytes),
               static_cast<unsigned long long>(kept(run.stderr_bytes)),
               static_cast<unsigned long long>(run.stderr_bytes));
}

std::string ExecJob::joblog_line(const JoblogEntry& e) const {
  ExecRun run;
  if (auto it = pending_.find(e.id); it != pending_.end()) {
    run = it->second;
    pending_.erase(it);
  }
  return FormatParallelJoblogLine(
      {.seq = e.id + 1,
       .host = e.worker,
       .start_epoch_s = run.start_epoch_s,
       .runtime_s = run.runtime_s,
       .receive = run.stdout_bytes,
       .exitval = run.exit_code,
       .signal = run.signal,
       .command = BuildCommandLine(c_.settings.command, inputs_[e.id], e.id + 1, run.slot)});
}

std::string ExecJob::describe(TaskId id) const {
  std::string input = Printable(inputs_[id]);
  if (input.size() > kMaxDescribedInput) input = input.substr(0, kMaxDescribedInput) + "...";
  return "#" + std::to_string(id + 1) + " " + input;
}

// The command's own failures are final (--retries re-runs them on the worker); a refusal or a
// failure to start may go better on another worker.
bool ExecJob::retryable(const std::string& reason) const {
  return !(reason.rfind("EXIT_", 0) == 0 || reason.rfind("SIGNAL_", 0) == 0 || reason == "TIMEOUT");
}

bool ExecJob::verified_ok() const {
  if (failed_ > 0) return false;
  for (uint8_t r : results_) {
    if (r != 1) return false;
  }
  return true;
}

nlohmann::json ExecJob::result_json() const {
  return {{"inputs", inputs_.size()},
          {"succeeded", succeeded_},
          {"failed", failed_},
          {"skipped", skipped_},
          {"stdout_bytes", stdout_bytes_},
          {"stderr_bytes", stderr_bytes_},
          {"truncated_outputs", truncated_},
          {"verified", verified_ok()}};
}

void ExecJob::print_result(std::ostream& out) const {
  out << "exec: " << inputs_.size() << " inputs: " << succeeded_ << " exited 0, " << failed_
      << " failed, " << skipped_ << " skipped (done before)";
  if (truncated_) out << ", " << truncated_ << " outputs truncated (--max-output)";
  out << (verified_ok() ? "; every input has exactly one result\n" : "\n");
}

}  // namespace

std::unique_ptr<MasterJob> MakeExecJob(ExecJobConfig config) {
  return std::make_unique<ExecJob>(std::move(config));
}

}  // namespace zfan::jobs
