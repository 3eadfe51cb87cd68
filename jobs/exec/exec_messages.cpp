// JSON forms of ExecSettings and ExecRun, and the typed names of a command's failures.
#include "jobs/exec/exec_messages.h"

#include <chrono>
#include <cstring>

namespace zfan::jobs {
namespace {

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);  // "SEGV", or null for a number it does not know
  return abbrev ? abbrev : std::to_string(sig);
}

}  // namespace

double EpochSecondsNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

nlohmann::json ExecSettings::ToJson() const {
  return {{"command", command},       {"env", env},
          {"workdir", workdir},       {"timeout_s", timeout_s},
          {"max_output", max_output}, {"tries", tries}};
}

Result<ExecSettings> ExecSettings::FromJson(const nlohmann::json& j) {
  ExecSettings s;
  try {
    s.command = j.at("command").get<std::string>();
    s.env = j.value("env", std::map<std::string, std::string>{});
    s.workdir = j.value("workdir", "");
    s.timeout_s = j.value("timeout_s", 0.0);
    s.max_output = j.value("max_output", s.max_output);
    s.tries = std::max(1u, j.value("tries", 1u));
  } catch (const nlohmann::json::exception& e) {
    return ProtocolError(std::string("bad exec parameters: ") + e.what());
  }
  if (s.command.empty()) return ProtocolError("bad exec parameters: no command");
  return s;
}

nlohmann::json ExecRun::ToJson() const {
  return {{"start", start_epoch_s},
          {"runtime", runtime_s},
          {"exit", exit_code},
          {"signal", signal},
          {"timeout", timed_out},
          {"slot", slot},
          {"tries", tries},
          {"stdout_bytes", stdout_bytes},
          {"stderr_bytes", stderr_bytes},
          {"stdout_truncated", stdout_truncated},
          {"stderr_truncated", stderr_truncated}};
}

ExecRun ExecRun::FromJson(const nlohmann::json& j) {
  ExecRun r;
  if (!j.is_object()) return r;
  try {
    r.start_epoch_s = j.value("start", 0.0);
    r.runtime_s = j.value("runtime", 0.0);
    r.exit_code = j.value("exit", 0);
    r.signal = j.value("signal", 0);
    r.timed_out = j.value("timeout", false);
    r.slot = j.value("slot", 0u);
    r.tries = j.value("tries", 1u);
    r.stdout_bytes = j.value("stdout_bytes", uint64_t{0});
    r.stderr_bytes = j.value("stderr_bytes", uint64_t{0});
    r.stdout_truncated = j.value("stdout_truncated", false);
    r.stderr_truncated = j.value("stderr_truncated", false);
  } catch (const nlohmann::json::exception&) {
    return ExecRun{};  // a field of the wrong type: nothing of it is trusted
  }
  return r;
}

std::string FailureReason(const ExecRun& run) {
  if (run.timed_out) return "TIMEOUT";
  if (run.signal != 0) return "SIGNAL_" + SignalName(run.signal);
  if (run.exit_code != 0) return "EXIT_" + std::to_string(run.exit_code);
  return "";
}

std::string FailureDetail(const ExecRun& run, double timeout_s) {
  char text[128];
  if (run.timed_out) {
    std::snprintf(text, sizeof text,
                  "still running after --timeout %g s: its process group was killed", timeout_s);
  } else if (run.signal != 0) {
    std::snprintf(text, sizeof text, "killed by SIG%s", SignalName(run.signal).c_str());
  } else {
    std::snprintf(text, sizeof text, "exit status %d", run.exit_code);
  }
  std::string detail = text;
  if (run.tries > 1) detail += " (" + std::to_string(run.tries) + " runs)";
  return detail;
}

}  // namespace zfan::jobs
