// One journal entry line, {"id":N,"r":"<result>"}: written by the master's journal, read back by
// --resume and by jobs that recognise an earlier run's output (the download job).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zfan {

struct JournalEntry {
  uint64_t id;
  std::string result;
};

// One entry line (without the '\n'). Never throws: any bytes in `result` are accepted (invalid
// UTF-8 is stored with U+FFFD replacements).
std::string FormatJournalLine(uint64_t id, std::string_view result);

// Parses one entry line (not the header); nullopt for a torn or malformed line. Never throws.
std::optional<JournalEntry> ParseJournalLine(std::string_view line);

}  // namespace zfan
