// Formats of a scaling study: stdout table, JSON, CSV, Markdown (hyperfine's table) and the
// gnuplot script behind --plot.
#include "scale/export.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/child_process.h"

namespace zfan::scale {

namespace {

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

using Json = nlohmann::ordered_json;

Json OrNull(const std::optional<double>& value) { return value ? Json(*value) : Json(); }

std::string JobLine(const Study& study) {
  std::string line = "zfan scale " + study.job;
  for (const auto& word : study.job_args) line += " " + word;
  return line + (study.weak ? " --weak" : "") + (study.external ? " --external" : "");
}

std::string SpeedupName(const Study& study) { return study.weak ? "scaled speedup" : "speedup"; }

// "Amdahl serial fraction 0.012, USL σ = 0.010 κ = 0.0004": the fitted models in one line.
std::string FitLine(const ScalingFit& fit) {
  std::string line;
  if (fit.amdahl_serial_fraction) {
    line += "Amdahl serial fraction " + Format("%.4f", *fit.amdahl_serial_fraction);
  }
  if (fit.gustafson_serial_fraction) {
    line += "Gustafson serial fraction " + Format("%.4f", *fit.gustafson_serial_fraction);
  }
  if (line.empty()) line = "no law fitted (needs a count above 1)";
  line += fit.usl ? ", USL sigma " + Format("%.4f", fit.usl->sigma) + " kappa " +
                        Format("%.5f", fit.usl->kappa)
                  : ", USL not fitted (needs more than 3 counts)";
  return line;
}

std::string PredictionModel(const ScalingFit& fit) {
  return fit.usl ? "USL" : fit.amdahl_serial_fraction ? "Amdahl" : "Gustafson";
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return IoError("cannot write " + path);
  return Status::Ok();
}

// The first `name` among the directories of $PATH, or "".
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// A gnuplot single-quoted string: '' stands for one quote.
std::string GnuplotQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

// The fitted law as a gnuplot expression of x, and its legend; none without a fit.
std::optional<std::pair<std::string, std::string>> FittedCurve(const ScalingFit& fit) {
  if (fit.usl) {
    return std::pair{"x / (1 + " + Format("%.9g", fit.usl->sigma) + " * (x - 1) + " +
                         Format("%.9g", fit.usl->kappa) + " * x * (x - 1))",
                     "USL (sigma " + Format("%.4f", fit.usl->sigma) + ", kappa " +
                         Format("%.5f", fit.usl->kappa) + ")"};
  }
  if (fit.amdahl_serial_fraction) {
    const std::string f = Format("%.9g", *fit.amdahl_serial_fraction);
    return std::pair{
        "1 / (" + f + " + (1 - " + f + ") / x)",
        "Amdahl (serial fraction " + Format("%.4f", *fit.amdahl_serial_fraction) + ")"};
  }
  if (fit.gustafson_serial_fraction) {
    const std::string s = Format("%.9g", *fit.gustafson_serial_fraction);
    return std::pair{
        "x - " + s + " * (x - 1)",
        "Gustafson (serial fraction " + Format("%.4f", *fit.gustafson_serial_fraction) + ")"};
  }
  return std::nullopt;
}

// Lab machines are rarely equal: each one's pace at each count (the last timed run).
void PrintWorkerRates(std::ostream& out, const Study& study) {
  out << "\nper worker (last run at each count):\n";
  char line[256];
  for (size_t i = 0; i < study.counts.size() && i < study.worker_rates.size(); ++i) {
    for (const auto& w : study.worker_rates[i]) {
      std::snprintf(line, sizeof line,
                    "%7u  %-24s %-16s %8llu tasks %10.1f tasks/s %5.0f%% share %5.0f%% util\n",
                    study.counts[i].workers, w.id.c_str(), w.host.c_str(),
                    static_cast<unsigned long long>(w.tasks), w.tasks_per_s, 100 * w.busy_share,
                    100 * w.utilisation);
      out << line;
    }
  }
}

}  // namespace

void PrintStudy(std::ostream& out, const Study& study) {
  const Machine& m = study.machine;
  out << JobLine(study) << "\n"
      << "machine " << m.host << ": " << m.cores << " cores, load " << m.loadavg[0] << " "
      << m.loadavg[1] << " " << m.loadavg[2] << "\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%7s %5s %11s %9s %9s %10s %8s %10s %10s\n", "workers", "runs",
                "median [s]", "min [s]", "max [s]", "tasks/s", "speedup", "efficiency",
                "Karp-Flatt");
  out << line;
  for (const auto& c : study.counts) {
    std::string karp_flatt = c.karp_flatt ? Format("%.4f", *c.karp_flatt) : "-";
    std::snprintf(line, sizeof line, "%7u %5zu %11.3f %9.3f %9.3f %10.1f %8.2f %9.1f%% %10s%s\n",
                  c.workers, c.runs_s.size(), c.median_s, c.min_s, c.max_s, c.tasks_per_s,
                  c.speedup, 100 * c.efficiency, karp_flatt.c_str(), c.noisy ? "  noisy" : "");
    out << line;
  }
  out << "\n" << FitLine(study.fit) << "\n";
  if (study.fit.predicted_speedup) {
    out << "predicted " << SpeedupName(study) << " at " << study.fit.predicted_workers
        << " workers: " << Format("%.2f", *study.fit.predicted_speedup) << " ("
        << PredictionModel(study.fit) << ")\n";
  }
  if (study.external) PrintWorkerRates(out, study);
}

Json StudyJson(const Study& study) {
  Json results = Json::array();
  for (const auto& c : study.counts) {
    results.push_back({{"workers", c.workers},
                       {"runs_s", c.runs_s},
                       {"median_s", c.median_s},
                       {"min_s", c.min_s},
                       {"max_s", c.max_s},
                       {"tasks_per_s", c.tasks_per_s},
                       {"speedup", c.speedup},
                       {"efficiency", c.efficiency},
                       {"karp_flatt", OrNull(c.karp_flatt)},
                       {"noisy", c.noisy}});
  }
  for (size_t i = 0; i < results.size() && i < study.worker_rates.size(); ++i) {
    Json per_worker = Json::array();
    for (const auto& w : study.worker_rates[i]) {
      per_worker.push_back({{"id", w.id},
                            {"host", w.host},
                            {"tasks", w.tasks},
                            {"tasks_per_s", w.tasks_per_s},
                            {"busy_share", w.busy_share},
                            {"utilisation", w.utilisation}});
    }
    results[i]["per_worker"] = per_worker;
  }
  const ScalingFit& f = study.fit;
  Json fit = {
      {"amdahl_serial_fraction", OrNull(f.amdahl_serial_fraction)},
      {"usl", f.usl ? Json{{"sigma", f.usl->sigma}, {"kappa", f.usl->kappa}} : Json()},
      {"predicted", {{"workers", f.predicted_workers}, {"speedup", OrNull(f.predicted_speedup)}}}};
  if (study.weak) fit["gustafson_serial_fraction"] = OrNull(f.gustafson_serial_fraction);
  const Machine& m = study.machine;
  return {{"job", study.job},
          {"weak", study.weak},
          {"external", study.external},
          {"machine", {{"cores", m.cores}, {"loadavg", m.loadavg}, {"host", m.host}}},
          {"results", results},
          {"fit", fit}};
}

Status WriteJson(const std::string& path, const Study& study) {
  return WriteText(path, StudyJson(study).dump(2) + "\n");
}

Status WriteCsv(const std::string& path, const Study& study) {
  std::string text =
      "workers,runs,median_s,min_s,max_s,tasks_per_s,speedup,efficiency,karp_flatt,noisy,runs_s\n";
  for (const auto& c : study.counts) {
    std::string runs;
    for (double r : c.runs_s) {
      if (!runs.empty()) runs += ';';  // not ";" + ...: gcc 12's bogus -Wrestrict (bug 105329)
      runs += Format("%.6f", r);
    }
    text += std::to_string(c.workers) + "," + std::to_string(c.runs_s.size()) + "," +
            Format("%.6f", c.median_s) + "," + Format("%.6f", c.min_s) + "," +
            Format("%.6f", c.max_s) + "," + Format("%.3f", c.tasks_per_s) + "," +
            Format("%.6f", c.speedup) + "," + Format("%.6f", c.efficiency) + "," +
            (c.karp_flatt ? Format("%.6f", *c.karp_flatt) : "") + "," +
            (c.noisy ? "true" : "false") + "," + runs + "\n";
  }
  return WriteText(path, text);
}

Status WriteMarkdown(const std::string& path, const Study& study) {
  double fastest = study.counts.empty() ? 0 : study.counts.front().median_s;
  for (const auto& c : study.counts) fastest = std::min(fastest, c.median_s);
  std::string text = "| Command | Workers | Median [s] | Min [s] | Max [s] | Relative | " +
                     std::string(study.weak ? "Scaled speedup" : "Speedup") + " | Efficiency |\n" +
                     "|:---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < study.counts.size(); ++i) {
    const CountStats& c = study.counts[i];
    text += "| `" + study.commands[i] + "` | " + std::to_string(c.workers) + " | " +
            Format("%.3f", c.median_s) + " | " + Format("%.3f", c.min_s) + " | " +
            Format("%.3f", c.max_s) + " | " +
            Format("%.2f", fastest > 0 ? c.median_s / fastest : 0) + " | " +
            Format("%.2f", c.speedup) + " | " + Format("%.1f %%", 100 * c.efficiency) + " |\n";
  }
  return WriteText(path, text);
}

std::string PlotScriptPath(const std::string& svg_path) {
  std::filesystem::path path(svg_path);
  return path.replace_extension(".gnuplot").string();
}

std::string PlotScript(const Study& study, const std::string& svg_path) {
  const ScalingFit& fit = study.fit;
  const double x_max = std::max<double>(fit.predicted_workers, 2) * 1.05;
  std::ostringstream gp;
  gp << "# " << JobLine(study) << "\n# gnuplot " << GnuplotQuote(PlotScriptPath(svg_path))
     << " draws " << svg_path << "\n"
     << "set terminal svg size 720,480 dynamic font 'sans,11' background rgb 'white'\n"
     << "set output " << GnuplotQuote(svg_path) << "\n"
     << "set title " << GnuplotQuote(JobLine(study)) << " noenhanced\n"
     << "set xlabel 'workers'\nset ylabel '" << SpeedupName(study) << "'\n"
     << "set grid\nset key top left noenhanced\nset samples 400\n"
     << "set xrange [0:" << x_max << "]\nset yrange [0:*]\n"
     << "$measured << EOD\n";
  for (const auto& c : study.counts) gp << c.workers << " " << c.speedup << "\n";
  gp << "EOD\n";
  std::vector<std::string> plots = {"x with lines dt 2 lc rgb 'gray' title 'ideal'"};
  if (auto curve = FittedCurve(fit)) {
    plots.push_back("(x >= 1 ? " + curve->first +
                    " : NaN) with lines lw 2 lc rgb '#4477aa' title " +
                    GnuplotQuote(curve->second));
  }
  plots.push_back("$measured using 1:2 with points pt 7 ps 1.3 lc rgb '#cc3311' title 'measured'");
  if (fit.predicted_speedup) {
    const std::string n = std::to_string(fit.predicted_workers);
    plots.push_back("'+' using (" + n + "):(" + Format("%.9g", *fit.predicted_speedup) +
                    ") every ::0::0 with points pt 6 ps 1.6 lc rgb '#4477aa' title 'predicted at " +
                    n + "'");
  }
  for (size_t i = 0; i < plots.size(); ++i) {
    gp << (i == 0 ? "plot " : ", \\\n     ") << plots[i];
  }
  gp << "\n";
  return gp.str();
}

PlotOutcome WritePlot(const std::string& svg_path, const Study& study) {
  const std::string script = PlotScriptPath(svg_path);
  if (Status s = WriteText(script, PlotScript(study, svg_path)); !s.ok()) return {s};
  const std::string gnuplot = FindOnPath("gnuplot");
  if (gnuplot.empty()) {
    return {IoError("gnuplot is not on PATH, so " + svg_path + " was not drawn; the script is " +
                    script + " (apt-get install gnuplot, then: gnuplot " + script + ")"),
            true};
  }
  auto child = ChildProcess::Spawn({gnuplot, script});
  if (!child.ok()) return {child.status()};
  auto status = child->WaitFor(std::chrono::seconds(60));
  if (!status || *status != 0) {
    return {IoError("gnuplot could not draw " + svg_path + " from " + script)};
  }
  return {Status::Ok()};
}

}  // namespace zfan::scale
