// Crash-safe output files: a file appears under its final name complete and fsynced, or not at all,
// and an existing file is never replaced. Everything works relative to an open directory fd so a
// renamed or symlinked path cannot redirect a write elsewhere.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/unique_fd.h"

namespace zfan {

// Temp files are named kTempFilePrefix + random hex; RemoveStaleTempFiles() deletes leftovers.
inline constexpr std::string_view kTempFilePrefix = ".zfan-tmp-";

// A name is safe if it is one path component: not "", "." or "..", no '/' and no NUL byte.
bool IsSafeFileName(std::string_view name);

// Creates `path` and its parents if needed, and opens it as a directory (O_NOFOLLOW: a symlink as
// the last component is refused rather than followed).
Result<UniqueFd> OpenOutputDir(const std::string& path);

enum class WriteOutcome {
  kWritten,  // `name` now holds exactly `bytes`, fsynced along with the directory entry
  kExists,   // `name` already existed and was left untouched; nothing was written
};

// Writes `bytes` to `name` inside the directory `dir_fd`: temp file (O_EXCL|O_NOFOLLOW), write all,
// fsync, rename without replacing, fsync the directory. On every error path the temp file is
// removed. Errors: kUsage for an unsafe `name`, kIo otherwise ("disk full" on ENOSPC/EDQUOT).
Result<WriteOutcome> WriteFileAtomically(int dir_fd, const std::string& name,
                                         std::string_view bytes);

// A file written in pieces (a body streamed from a worker): a temp file (O_EXCL|O_NOFOLLOW) in
// `dir_fd` until Publish() gives it its name the way WriteFileAtomically does. Removed by the
// destructor unless published, so a body that never completes leaves nothing behind.
class PartialFile {
 public:
  static Result<PartialFile> Create(int dir_fd, const std::string& for_name);
  PartialFile(PartialFile&&) noexcept;
  PartialFile& operator=(PartialFile&&) noexcept;
  ~PartialFile();

  Status Append(std::string_view bytes);
  Status Truncate();  // starts the body again from its first byte
  // fsync and close; then rename to `name` without replacing (kExists: `name` is taken, the
  // bytes stay here for another try) and fsync the directory. No Append after the first call.
  Result<WriteOutcome> Publish(const std::string& name);
  int fd() const;

 private:
  struct Impl;
  explicit PartialFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string for_name_;
  bool synced_ = false;
};

// Deletes regular files named kTempFilePrefix* in `dir_fd` left behind by a crash. Returns how many
// were removed. REQUIRES: no other process is writing into this directory right now.
Result<size_t> RemoveStaleTempFiles(int dir_fd);

}  // namespace zfan
