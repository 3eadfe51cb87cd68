// Integration-test harness: start real `zfan` processes on free loopback ports, capture their
// output, wait for conditions with deadlines (never sleeps as synchronisation).
#pragma once
#include <chrono>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.h"

namespace zfan::testing {

using std::chrono::milliseconds;

std::string ZfanBin();
std::string HttpdBin();

// A base port P with P, P+1 and P+2 free on 127.0.0.1 right now.
int FreePortTriple();

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);

// A zfan process running in the background, its stdout/stderr going to files.
class ZfanProcess {
 public:
  explicit ZfanProcess(const std::vector<std::string>& args);
  pid_t pid() const { return child_->pid(); }
  void Signal(int sig) const { child_->Signal(sig); }
  // Waits for exit; kills it and fails the test if it takes longer than `timeout`.
  int Wait(milliseconds timeout = milliseconds(120000));
  std::optional<int> Poll() { return child_->Poll(); }
  // Peak resident memory in KiB, once it has exited (0 before).
  long peak_rss_kib() const { return child_->peak_rss_kib().value_or(0); }
  std::string out() const { return ReadFile(dir_ / "stdout"); }
  std::string err() const { return ReadFile(dir_ / "stderr"); }
  nlohmann::json json() const;  // stdout parsed as JSON (the --json summary)

 private:
  TempDir dir_;
  std::optional<ChildProcess> child_;
};

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
  nlohmann::json json() const;
};

// Runs zfan to completion (bounded by `timeout`).
RunResult RunZfan(const std::vector<std::string>& args,
                  milliseconds timeout = milliseconds(120000));

// Polls `condition` every 10 ms until true or `timeout`; returns whether it became true.
bool WaitUntil(const std::function<bool()>& condition, milliseconds timeout);

std::string Endpoint(int port);  // tcp://127.0.0.1:PORT

// Tasks the worker `id` did, from a master's --json summary (0 if it is not there).
uint64_t TasksOf(const nlohmann::json& summary, const std::string& id);

// Count of lines in `text` containing `needle`.
size_t CountLines(const std::string& text, const std::string& needle);

void WriteText(const std::string& path, const std::string& text);

// CURVE: `zfan keygen --out DIR/NAME`, returning the public key it printed.
std::string Keygen(const TempDir& dir, const std::string& name);
// A 1-slot worker with DIR/KEY.key_secret that trusts DIR/MASTER_KEY.key.
ZfanProcess KeyedWorker(const TempDir& dir, const std::string& endpoint, const std::string& key,
                        const std::string& id, const std::string& master_key = "master");
// SIGTERM to each worker, and a bounded wait for it to leave.
void StopWorkers(std::initializer_list<ZfanProcess*> workers);

// `zfan master JOB...` with DIR/master.key_secret and the allowlist DIR/allowed, --json -q.
std::vector<std::string> KeyedMaster(const TempDir& dir, int port, std::vector<std::string> job);

}  // namespace zfan::testing
