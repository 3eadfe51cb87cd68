// The runner of zfan scale: one `zfan master ... --json` child at a time, its stdout and stderr in
// a private temporary directory, its summary checked before its time is trusted.
#include "scale/scale_runner.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/child_process.h"
#include "common/signals.h"

namespace zfan::scale {

namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last `count` non-empty lines of `text`, each indented, for an error message.
std::string LastLines(const std::string& text, size_t count) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::string out;
  size_t first = lines.size() > count ? lines.size() - count : 0;
  for (size_t i = first; i < lines.size(); ++i) out += "\n  " + lines[i];
  return out;
}

std::string ShellQuote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789-_.,:/=+@%") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// The exit code of a master that ended with `status`, as zfan scale passes it on.
ExitCode PassedOn(int status) {
  switch (status) {
    case static_cast<int>(ExitCode::kJobFailed):
    case static_cast<int>(ExitCode::kUsage):
    case static_cast<int>(ExitCode::kNoWorkers):
    case static_cast<int>(ExitCode::kInterrupted):
      return static_cast<ExitCode>(status);
    default:
      return ExitCode::kRuntime;
  }
}

}  // namespace

Result<MasterRun> ReadMasterSummary(const nlohmann::json& summary) {
  if (!summary.is_object() || !summary.contains("elapsed_s") || !summary.contains("tasks") ||
      !summary["elapsed_s"].is_number() || !summary["tasks"].is_object()) {
    return ProtocolError("the master's --json summary has no elapsed_s or tasks");
  }
  const auto& tasks = summary["tasks"];
  auto count = [&](const char* key) { return tasks.value(key, uint64_t{0}); };
  if (summary.value("interrupted", false)) return ProtocolError("the job was interrupted");
  if (count("failed") > 0) {
    return ProtocolError(std::to_string(count("failed")) + " of " + std::to_string(count("total")) +
                         " tasks failed");
  }
  const auto verified = summary.contains("result") && summary["result"].is_object()
                            ? summary["result"].value("verified", nlohmann::json())
                            : nlohmann::json();
  if (verified.is_boolean() && !verified.get<bool>()) {
    return ProtocolError("the job's result did not verify");
  }
  MasterRun run;
  run.elapsed_s = summary["elapsed_s"].get<double>();
  const uint64_t replayed = count("resumed") + count("skipped");
  run.tasks = count("done") > replayed ? count("done") - replayed : 0;
  if (summary.contains("workers") && summary["workers"].is_array()) {
    for (const auto& w : summary["workers"]) {
      if (!w.is_object() || w.value("standby", false)) continue;
      run.workers.push_back({.id = w.value("id", ""),
                             .host = w.value("host", ""),
                             .tasks = w.value("tasks", uint64_t{0}),
                             .tasks_per_s = w.value("tasks_per_s", 0.0),
                             .busy_share = w.value("busy_share", 0.0),
                             .utilisation = w.value("utilisation", 0.0)});
    }
  }
  return run;
}

std::string MasterCommand(const std::vector<std::string>& master_args) {
  std::string command = "zfan master";
  for (const auto& word : master_args) {
    command += ' ';  // not " " + ...: gcc 12's bogus -Wrestrict at -O3 (gcc bug 105329)
    command += ShellQuote(word);
  }
  return command;
}

Result<MasterRunner> MasterRunner::Create(std::string self_exe) {
  std::string pattern = (std::filesystem::temp_directory_path() / "zfan-scale-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    return IoError("cannot create a temporary directory under " +
                   std::filesystem::temp_directory_path().string());
  }
  return MasterRunner(std::move(self_exe), pattern);
}

MasterRunner::MasterRunner(MasterRunner&& other) noexcept
    : self_exe_(std::move(other.self_exe_)),
      dir_(std::exchange(other.dir_, std::string())),
      failure_exit_code_(other.failure_exit_code_) {}

MasterRunner::~MasterRunner() {
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

Status MasterRunner::Failed(ExitCode code, const std::vector<std::string>& args,
                            const std::string& why) {
  failure_exit_code_ = code;
  return {ErrorCode::kRemote,
          "`" + MasterCommand(args) + "` " + why + LastLines(ReadWholeFile(dir_ + "/stderr"), 5)};
}

Result<MasterRun> MasterRunner::Run(const std::vector<std::string>& master_args) {
  std::vector<std::string> argv{self_exe_, "master"};
  argv.insert(argv.end(), master_args.begin(), master_args.end());
  auto child =
      ChildProcess::Spawn(argv, {.stdout_path = dir_ + "/stdout", .stderr_path = dir_ + "/stderr"});
  if (!child.ok()) return Failed(ExitCode::kRuntime, master_args, child.status().message());
  const int signals_before = StopSignalsReceived();
  std::optional<int> status;
  while (!(status = child->WaitFor(std::chrono::milliseconds(100)))) {
    // Ctrl-C on a terminal reaches the master too (same process group); a SIGTERM sent to
    // zfan scale alone is passed on, so the master stops its workers and exits.
    if (StopSignalsReceived() != signals_before) child->Signal(SIGTERM);
  }
  if (StopSignalsReceived() != signals_before) {
    return Failed(ExitCode::kInterrupted, master_args, "was interrupted");
  }
  if (*status != 0) {
    return Failed(PassedOn(*status), master_args, "exited with code " + std::to_string(*status));
  }
  auto summary = nlohmann::json::parse(ReadWholeFile(dir_ + "/stdout"), nullptr, false);
  auto run = ReadMasterSummary(summary);
  if (!run.ok()) return Failed(ExitCode::kJobFailed, master_args, run.status().message());
  return run;
}

Machine ReadMachine() {
  Machine m;
  m.cores = std::thread::hardware_concurrency();
  std::ifstream loadavg("/proc/loadavg");
  for (double& load : m.loadavg) loadavg >> load;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.host = host;
  return m;
}

}  // namespace zfan::scale
