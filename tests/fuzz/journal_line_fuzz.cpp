// libFuzzer target for the resume journal's reader: each input line through ParseJournalLine (with
// a format/parse round trip), and the whole input as a journal file through ReadJournal.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jobs/download/file_name.h"
#include "master/journal.h"

namespace {

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    char32_t codepoint = 0;
    size_t length = zfan::download::DecodeUtf8(text, codepoint);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

void CheckLine(std::string_view line, uint64_t id) {
  using namespace zfan::master;
  if (auto entry = ParseJournalLine(line)) {
    auto again = ParseJournalLine(FormatJournalLine(entry->id, entry->result));
    if (!again || again->id != entry->id || again->result != entry->result) __builtin_trap();
  }
  // Any bytes a worker sends as a result must journal and read back (exactly, when UTF-8).
  auto stored = ParseJournalLine(FormatJournalLine(id, line));
  if (!stored || stored->id != id) __builtin_trap();
  if (IsValidUtf8(line) && stored->result != line) __builtin_trap();
}

// ReadJournal takes a path: the input goes into an in-memory file opened through /proc.
void CheckFile(std::string_view text, size_t lines) {
  static const int fd = memfd_create("journal-fuzz", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (fd < 0 || ftruncate(fd, 0) != 0) __builtin_trap();
  if (pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    __builtin_trap();
  auto journal = zfan::master::ReadJournal(path);
  // Every line after the header is either an entry or a counted skip.
  size_t after_header = lines == 0 ? 0 : lines - 1;
  if (journal.ok() && journal->entries.size() + journal->skipped_lines != after_header) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t lines = 0;
  for (std::string_view rest = input; !rest.empty(); ++lines) {
    size_t newline = rest.find('\n');
    CheckLine(rest.substr(0, newline), size + lines);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
  }
  CheckFile(input, lines);
  return 0;
}
