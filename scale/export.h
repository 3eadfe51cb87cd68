// The outputs of a scaling study: the table on stdout and the JSON, CSV, Markdown and gnuplot/SVG
// exports (formats in README.md, "zfan scale").
#pragma once
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "common/status.h"
#include "scale/scale.h"

namespace zfan::scale {

// The table, the fit and the prediction, for a person.
void PrintStudy(std::ostream& out, const Study& study);

// The --export-json document: {"job", "weak", "external", "machine", "results", "fit"}, keys in
// that order.
nlohmann::ordered_json StudyJson(const Study& study);

Status WriteJson(const std::string& path, const Study& study);
Status WriteCsv(const std::string& path, const Study& study);
Status WriteMarkdown(const std::string& path, const Study& study);

// The gnuplot script that draws `svg_path`: speedup vs workers, the ideal line, the fitted curve.
std::string PlotScript(const Study& study, const std::string& svg_path);
// The script's file next to the SVG: F.svg → F.gnuplot.
std::string PlotScriptPath(const std::string& svg_path);

// Writes the script, then runs gnuplot on it. Without gnuplot on PATH the script is still written,
// gnuplot_missing is set and the Status says how to draw the SVG later.
struct PlotOutcome {
  Status status;
  bool gnuplot_missing = false;
};
PlotOutcome WritePlot(const std::string& svg_path, const Study& study);

}  // namespace zfan::scale
