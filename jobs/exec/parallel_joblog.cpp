// Writing and reading GNU parallel's joblog lines.
#include "jobs/exec/parallel_joblog.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

namespace zfan::jobs {
namespace {

// A command line on one line: the joblog is one record per line.
std::string OneLine(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  for (size_t tab; (tab = line.find('\t', pos)) != std::string_view::npos; pos = tab + 1) {
    fields.push_back(line.substr(pos, tab - pos));
  }
  fields.push_back(line.substr(pos));
  return fields;
}

template <class T>
bool ParseNumber(std::string_view text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string ParallelJoblogHeader() {
  return "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand";
}

std::string FormatParallelJoblogLine(const ParallelJoblogLine& l) {
  char numbers[160];
  std::snprintf(numbers, sizeof numbers, "%.3f\t%10.3f\t%llu\t%llu\t%d\t%d", l.start_epoch_s,
                l.runtime_s, static_cast<unsigned long long>(l.send),
                static_cast<unsigned long long>(l.receive), l.exitval, l.signal);
  return std::to_string(l.seq) + '\t' + OneLine(l.host) + '\t' + numbers + '\t' +
         OneLine(l.command);
}

Result<std::set<uint64_t>> ReadDoneSeqs(const std::string& path, bool only_succeeded) {
  std::set<uint64_t> done;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return done;
    return IoError("cannot read --joblog '" + path + "': " + std::strerror(errno));
  }
  std::string line;
  while (std::getline(in, line)) {
    auto fields = SplitTabs(line);
    uint64_t seq = 0;
    int exitval = 0, signal = 0;
    if (fields.size() < 9 || !ParseNumber(fields[0], seq) || !ParseNumber(fields[6], exitval) ||
        !ParseNumber(fields[7], signal)) {
      continue;
    }
    if (!only_succeeded || (exitval == 0 && signal == 0)) done.insert(seq);
  }
  return done;
}

}  // namespace zfan::jobs
