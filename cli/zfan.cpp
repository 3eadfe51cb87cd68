// `zfan`: the one binary. Parses the command line (CLI11) into plain option structs and hands
// off to the master or the worker; nothing else happens here.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdio>
#include <string>
#include <vector>

#include "common/allocator.h"
#include "common/curve_keys.h"
#include "common/exit_codes.h"
#include "common/log.h"
#include "common/open_files_limit.h"
#include "jobs/registry.h"
#include "master/master.h"
#include "scale/scale.h"
#include "worker/worker.h"

namespace {

using zfan::ExitCode;

// A master with hundreds of workers needs more descriptors than a default soft limit allows;
// running with the limit it has beats not running.
void RaiseOpenFilesLimitOrWarn() {
  if (auto s = zfan::RaiseOpenFilesLimit(); !s.ok()) spdlog::warn("{}", s.message());
}

std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "zfan";
}

void AddMasterOptions(CLI::App& cmd, zfan::master::MasterOptions& o) {
  cmd.add_option("--bind", o.bind, "address to bind (default loopback)")->capture_default_str();
  cmd.add_option("--port", o.port, "tasks port; results and control use PORT+1, PORT+2")
      ->capture_default_str();
  cmd.add_option("--local-workers", o.local_workers, "start N worker processes on this machine");
  cmd.add_option("--worker-slots", o.worker_slots,
                 "slots of each local worker (default: 1 for CPU jobs, 16 transfers for download)");
  cmd.add_option("--expect-workers", o.expect_workers, "wait for N workers before dispatching");
  cmd.add_option("--use-workers", o.use_workers,
                 "of the workers that joined, N take part; the rest stand by (scaling studies)");
  cmd.add_option("--plan-workers", o.plan_workers,
                 "plan the job's tasks for N workers (default: the local workers, if no others)");
  cmd.add_option("--wait-timeout", o.wait_timeout_s, "seconds to wait for --expect-workers")
      ->capture_default_str();
  cmd.add_flag("--json", o.json, "print one JSON summary on stdout and nothing else there");
  cmd.add_option("--joblog", o.joblog, "write one TSV line per task to FILE");
  cmd.add_option("--trace", o.trace,
                 "write a Chrome/Perfetto trace (JSON) of every task attempt to FILE");
  cmd.add_option("--journal", o.journal, "append completed tasks to FILE (for --resume)");
  cmd.add_flag("--resume", o.resume, "skip the tasks the journal has, fold their results");
  cmd.add_option("--heartbeat-ms", o.heartbeat_ms, "heartbeat of local workers")
      ->capture_default_str();
  cmd.add_option(
         "--lease-ms", o.lease_ms,
         "requeue a task sent but not taken after this long (at least; grows with task time)")
      ->capture_default_str();
  cmd.add_option("--max-attempts", o.max_attempts, "tries per task before it counts as failed")
      ->check(CLI::Range(1u, 100u))
      ->capture_default_str();
  cmd.add_flag("!--no-speculate", o.speculate, "no speculative copies of straggling tasks");
  cmd.add_flag("--shutdown-workers", o.shutdown_workers, "tell workers to exit after the job");
  cmd.add_option("--drain-timeout", o.drain_timeout_s,
                 "seconds to wait for in-flight tasks on Ctrl-C")
      ->capture_default_str();
  cmd.add_option("--progress-interval", o.progress_interval_s, "seconds between progress lines");
  cmd.add_option("--max-inflight-bytes", o.max_inflight_bytes,
                 "bytes of streamed bodies between workers and disk at most (256M, 1G, ...)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1} << 20, UINT64_MAX))
      ->capture_default_str();
  cmd.add_flag("--insecure", o.insecure, "allow binding a non-loopback address without CURVE");
  cmd.add_option("--curve-secret", o.curve_secret,
                 "the master's PREFIX.key_secret (zfan keygen): CURVE on all sockets");
  cmd.add_option("--authorized-workers", o.authorized_workers,
                 "FILE of worker public keys, one per line (SIGHUP reloads it)");
}

// `zfan keygen --out PREFIX`: a CURVE key pair for a master or a worker.
int RunKeygen(const std::string& prefix) {
  auto keys = zfan::GenerateCurveKeyPair();
  zfan::Status s = keys.ok() ? zfan::WriteCurveKeyPair(prefix, *keys) : keys.status();
  if (!s.ok()) {
    std::fprintf(stderr, "zfan: %s\n", s.message().c_str());
    return static_cast<int>(zfan::ExitCodeFor(s));
  }
  std::printf("%s\n", keys->public_z85.c_str());
  std::fprintf(stderr,
               "wrote %s.key (public: copy it, or add the line above to the master's "
               "--authorized-workers file) and %s.key_secret (secret, mode 0600: keep it here)\n",
               prefix.c_str(), prefix.c_str());
  return 0;
}

void AddLogOptions(CLI::App& cmd, int& verbosity) {
  cmd.add_flag_function(
      "-v,--verbose", [&](int64_t n) { verbosity += static_cast<int>(n); },
      "more logging (repeat for debug)");
  cmd.add_flag_function(
      "-q,--quiet", [&](int64_t) { verbosity = 0; }, "only warnings and errors");
}

// `zfan scale JOB [job options] --workers 1,2,4`: the job's options stay unparsed (extras) and go
// to every master as given.
void AddScaleOptions(CLI::App& cmd, zfan::scale::ScaleOptions& o, std::string& workers) {
  cmd.add_option("job", o.job, "the job to run at each worker count")->required();
  cmd.add_option("--workers", workers, "worker counts, e.g. 1,2,4,8")->required();
  cmd.add_option("--runs", o.runs, "timed runs per count")->capture_default_str();
  cmd.add_option("--warmup", o.warmup, "untimed runs per count first")->capture_default_str();
  cmd.add_flag("--weak", o.weak, "grow the job with the workers (sum, primes, sleep, spin)");
  cmd.add_flag("--external", o.external, "use connected workers, the rest on standby");
  cmd.add_option("--export-json", o.export_json, "write the study as JSON to FILE");
  cmd.add_option("--export-csv", o.export_csv, "write one CSV row per count to FILE");
  cmd.add_option("--export-markdown", o.export_markdown, "write a Markdown table to FILE");
  cmd.add_option("--plot", o.plot, "draw speedup vs workers to FILE.svg (gnuplot)");
  cmd.allow_extras();
}

int RunScaleCommand(zfan::scale::ScaleOptions& o, const std::string& workers,
                    std::vector<std::string> job_args) {
  auto counts = zfan::scale::ParseWorkerCounts(workers);
  if (!counts.ok()) {
    std::fprintf(stderr, "zfan: %s\n", counts.status().message().c_str());
    return static_cast<int>(ExitCode::kUsage);
  }
  o.workers = *counts;
  o.job_args = std::move(job_args);
  o.self_exe = SelfExe();
  return static_cast<int>(zfan::scale::RunScale(o));
}

// CLI11 would only say "a subcommand is required"; name the job and list the real ones.
bool CheckJobName(int argc, char** argv) {
  if (argc < 3 || std::string(argv[1]) != "master" || argv[2][0] == '-') return true;
  if (zfan::jobs::FindJob(argv[2])) return true;
  std::fprintf(stderr, "zfan: unknown job '%s'; the jobs are: %s\n", argv[2],
               zfan::jobs::JobNames().c_str());
  return false;
}

int Main(int argc, char** argv);

// `zfan ARGS...` as a function call: what a forked local worker runs instead of exec'ing zfan.
int RunArgs(const std::vector<std::string>& args) {
  std::vector<std::string> words{"zfan"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return Main(static_cast<int>(words.size()), argv.data());
}

int Main(int argc, char** argv) {
  CLI::App app{"zfan: fan work out from one master to many workers over ZeroMQ"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("zfan ") + ZFAN_VERSION);

  zfan::master::MasterOptions master_opts;
  int master_verbosity = 1;
  CLI::App* master = app.add_subcommand("master", "run a job: make tasks, dispatch, collect");
  master->require_subcommand(1);
  AddMasterOptions(*master, master_opts);
  AddLogOptions(*master, master_verbosity);
  std::vector<std::pair<CLI::App*, zfan::jobs::MasterJobFactory>> job_cmds;
  for (const auto& job : zfan::jobs::AllJobs()) {
    CLI::App* cmd = master->add_subcommand(job.name, job.help);
    cmd->fallthrough();  // master options may follow the job's own
    job_cmds.emplace_back(cmd, job.add_cli(*cmd));
  }

  zfan::worker::WorkerOptions worker_opts;
  int worker_verbosity = 1;
  CLI::App* worker = app.add_subcommand("worker", "connect to a master and run its tasks");
  worker->add_option("endpoint", worker_opts.endpoint, "master's tasks endpoint tcp://HOST:PORT")
      ->capture_default_str();
  worker->add_option("--slots", worker_opts.slots,
                     "tasks at once (default: one per core; 16 transfers for download)");
  worker->add_option("--id", worker_opts.id, "worker name shown by the master");
  worker->add_option("--heartbeat-ms", worker_opts.heartbeat_ms, "heartbeat interval")
      ->check(CLI::Range(10u, 60000u))
      ->capture_default_str();
  worker->add_option("--master-timeout", worker_opts.master_timeout_s,
                     "exit if no master answers within S seconds (0 = wait forever)");
  worker
      ->add_option("--drain-timeout", worker_opts.drain_timeout_s,
                   "on SIGTERM, seconds to let running tasks finish")
      ->capture_default_str();
  worker->add_flag("--allow-exec", worker_opts.allow_exec,
                   "run the commands of exec jobs (off: they fail NOT_ALLOWED)");
  worker->add_option("--curve-secret", worker_opts.curve_secret,
                     "this worker's PREFIX.key_secret (zfan keygen): CURVE, never plaintext");
  worker->add_option("--master-key", worker_opts.master_key,
                     "the master's public PREFIX.key: talk only to the master holding it");
  AddLogOptions(*worker, worker_verbosity);

  std::string keygen_prefix;
  CLI::App* keygen = app.add_subcommand("keygen", "write a CURVE key pair PREFIX.key(_secret)");
  keygen->add_option("--out", keygen_prefix, "path prefix of the two key files")->required();

  zfan::scale::ScaleOptions scale_opts;
  std::string scale_workers;
  int scale_verbosity = 1;
  CLI::App* scale = app.add_subcommand("scale", "run a job at several worker counts: speedup");
  AddScaleOptions(*scale, scale_opts, scale_workers);
  AddLogOptions(*scale, scale_verbosity);

  if (!CheckJobName(argc, argv)) return static_cast<int>(ExitCode::kUsage);
  // `zfan scale exec ... -- COMMAND...`: the command is not for CLI11 (it would take its words
  // for scale's own arguments); it goes to every master as given.
  std::vector<std::string> scale_command;
  if (argc > 2 && std::string(argv[1]) == "scale") {
    for (int i = 2; i < argc; ++i) {
      if (std::string(argv[i]) != "--") continue;
      scale_command.assign(argv + i, argv + argc);
      argc = i;
      break;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "zfan: %s (see zfan --help)\n", e.what());
    return static_cast<int>(ExitCode::kUsage);
  }

  if (keygen->parsed()) return RunKeygen(keygen_prefix);
  if (scale->parsed()) {
    zfan::SetupLogging("scale", scale_verbosity);
    std::vector<std::string> job_args = scale->remaining();
    job_args.insert(job_args.end(), scale_command.begin(), scale_command.end());
    return RunScaleCommand(scale_opts, scale_workers, std::move(job_args));
  }
  if (worker->parsed()) {
    zfan::SetupLogging("worker", worker_verbosity);
    RaiseOpenFilesLimitOrWarn();
    return static_cast<int>(zfan::worker::RunWorker(worker_opts));
  }
  zfan::SetupLogging("master", master_verbosity);
  RaiseOpenFilesLimitOrWarn();
  master_opts.verbosity = master_verbosity;
  master_opts.self_exe = SelfExe();
  master_opts.run_in_child = RunArgs;
  if (master_opts.json) master_opts.quiet = master_opts.quiet || !isatty(STDERR_FILENO);
  for (auto& [cmd, factory] : job_cmds) {
    if (!cmd->parsed()) continue;
    auto job = factory();
    if (!job.ok()) {
      std::fprintf(stderr, "zfan: %s\n", job.status().message().c_str());
      return static_cast<int>(zfan::ExitCodeFor(job.status()));
    }
    return static_cast<int>(zfan::master::RunMaster(std::move(job).value(), master_opts));
  }
  return static_cast<int>(ExitCode::kUsage);
}

}  // namespace

int main(int argc, char** argv) {
  zfan::KeepLargeBuffersInHeap();
  return Main(argc, argv);
}
