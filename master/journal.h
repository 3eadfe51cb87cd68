// The journal: one JSON line per completed task, so a restarted master (--resume) finishes the job
// with nothing lost and nothing counted twice.
//
// Format: a header line {"zfan_journal":1,"job":...,"fingerprint":...,"plan_slots":S}, then
// {"id":N,"r":"<result>"} per task. Lines are written to the file at the end of every event-loop
// turn (a master killed with -9 loses at most the results of that turn, which are then recomputed)
// and fsync'ed at most every `fsync_interval` (a machine crash loses at most that much).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/journal_line.h"
#include "common/status.h"

namespace zfan::master {

using zfan::FormatJournalLine;
using zfan::JournalEntry;
using zfan::ParseJournalLine;

struct JournalContents {
  std::string job;
  std::string fingerprint;
  uint32_t plan_slots = 0;  // the slots the job was planned for (0: unknown, or an older journal)
  std::vector<JournalEntry> entries;
  size_t skipped_lines = 0;  // torn or malformed lines, ignored
};

// Reads a journal; a missing file is an empty journal. A torn last line is ignored.
Result<JournalContents> ReadJournal(const std::string& path);

class JournalWriter {
 public:
  JournalWriter() = default;
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;
  ~JournalWriter();

  // Opens for append; writes the header when `fresh` (truncating what was there).
  Status Open(const std::string& path, bool fresh, const std::string& job,
              const std::string& fingerprint, uint32_t plan_slots = 0);
  bool is_open() const { return fd_ >= 0; }
  void Append(uint64_t id, const std::string& result);
  // Writes buffered lines; fsyncs if the interval passed (or `force`).
  Status Flush(TimePoint now, bool force = false);

 private:
  int fd_ = -1;
  std::string path_;
  std::string buffer_;
  TimePoint last_sync_{};
  Millis fsync_interval_{1000};
  bool unsynced_ = false;
};

}  // namespace zfan::master
