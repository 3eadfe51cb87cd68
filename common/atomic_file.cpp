// Atomic, no-replace file writes relative to a directory fd (see atomic_file.h for the contract).
#include "common/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28 with _GNU_SOURCE)
#include <filesystem>
#include <memory>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

namespace zfan {

bool IsSafeFileName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

namespace {

// Writes bigger than this are split; Linux caps a single write() near 2 GiB anyway.
constexpr size_t kMaxWriteChunk = size_t{1} << 30;
constexpr int kMaxTempNameAttempts = 64;

std::string ErrnoText(int err) { return std::generic_category().message(err); }

bool IsDiskFull(int err) { return err == ENOSPC || err == EDQUOT; }

Status FileError(std::string_view action, const std::string& name, int err) {
  if (IsDiskFull(err)) {
    return IoError("disk full while writing '" + name +
                   "' in the output directory: free some space and run again");
  }
  return IoError("cannot " + std::string(action) + " '" + name +
                 "' in the output directory: " + ErrnoText(err));
}

std::string RandomTempName() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name(kTempFilePrefix);
  uint64_t bits = generator();
  for (int i = 0; i < 16; ++i, bits >>= 4) name += kHex[bits & 0xf];
  return name;
}

// A uniquely named temp file inside a directory. Unless Forget() is called after a successful
// rename, the destructor unlinks it, so no error path can leave it behind.
class TempFile {
 public:
  static Result<TempFile> Create(int dir_fd, const std::string& final_name) {
    for (int attempt = 0; attempt < kMaxTempNameAttempts; ++attempt) {
      std::string name = RandomTempName();
      int fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0644);
      if (fd >= 0) return TempFile(dir_fd, std::move(name), UniqueFd(fd));
      if (errno != EEXIST && errno != EINTR)
        return FileError("create a temp file for", final_name, errno);
    }
    return IoError("cannot create a temp file for '" + final_name +
                   "': every random name was taken (is something else writing here?)");
  }

  TempFile(TempFile&& other) noexcept
      : dir_fd_(std::exchange(other.dir_fd_, -1)),
        name_(std::move(other.name_)),
        fd_(std::move(other.fd_)) {}
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() { Remove(); }

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }

  // Closes the descriptor, reporting the deferred write errors some filesystems give only here.
  int Close() {
    int result = ::close(fd_.release());
    return result == 0 ? 0 : errno;
  }
  // The temp name no longer exists (it was renamed); nothing to clean up.
  void Forget() { dir_fd_ = -1; }
  void Remove() {
    fd_.reset();
    if (dir_fd_ >= 0) ::unlinkat(dir_fd_, name_.c_str(), 0);
    dir_fd_ = -1;
  }

 private:
  TempFile(int dir_fd, std::string name, UniqueFd fd)
      : dir_fd_(dir_fd), name_(std::move(name)), fd_(std::move(fd)) {}

  int dir_fd_;
  std::string name_;
  UniqueFd fd_;
};

// Returns 0 or an errno.
int WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), std::min(bytes.size(), kMaxWriteChunk));
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (written == 0) return EIO;  // a regular file that accepts nothing: do not spin
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return 0;
}

// Gives `temp` the name `name` unless `name` exists. Returns 0 or an errno (EEXIST if taken).
int RenameWithoutReplace(int dir_fd, TempFile& temp, const std::string& name) {
  if (::renameat2(dir_fd, temp.name().c_str(), dir_fd, name.c_str(), RENAME_NOREPLACE) == 0) {
    temp.Forget();
    return 0;
  }
  int err = errno;
  if (err != EINVAL && err != ENOSYS && err != EOPNOTSUPP) return err;
  // The filesystem lacks RENAME_NOREPLACE; a hard link also refuses to replace (EEXIST).
  if (::linkat(dir_fd, temp.name().c_str(), dir_fd, name.c_str(), 0) != 0) return errno;
  temp.Remove();
  return 0;
}

Status SyncDirectory(int dir_fd, const std::string& name) {
  // Some filesystems cannot fsync a directory (EINVAL); the rename is then as durable as it gets.
  if (::fsync(dir_fd) != 0 && errno != EINVAL) {
    return IoError("wrote '" + name +
                   "' but could not fsync the output directory: " + ErrnoText(errno));
  }
  return Status::Ok();
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

bool IsRegularFileAt(int dir_fd, const char* name) {
  struct stat info;
  return ::fstatat(dir_fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(info.st_mode);
}

}  // namespace

Result<UniqueFd> OpenOutputDir(const std::string& path) {
  if (path.empty()) return UsageError("the output directory path is empty");
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return IoError("cannot create output directory '" + path + "': " + ec.message());
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) {
    int err = errno;
    if ((err == ELOOP || err == ENOTDIR) && std::filesystem::is_symlink(path, ec)) {
      return IoError("output directory '" + path +
                     "' is a symbolic link: pass the directory it points to instead");
    }
    return IoError("cannot open output directory '" + path + "': " + ErrnoText(err));
  }
  return dir;
}

struct PartialFile::Impl {
  explicit Impl(TempFile t) : temp(std::move(t)) {}
  TempFile temp;
  int dir_fd = -1;
};

PartialFile::PartialFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PartialFile::PartialFile(PartialFile&&) noexcept = default;
PartialFile& PartialFile::operator=(PartialFile&&) noexcept = default;
PartialFile::~PartialFile() = default;

Result<PartialFile> PartialFile::Create(int dir_fd, const std::string& for_name) {
  Result<TempFile> created = TempFile::Create(dir_fd, for_name);
  if (!created.ok()) return created.status();
  auto impl = std::make_unique<Impl>(std::move(created).value());
  impl->dir_fd = dir_fd;
  PartialFile file(std::move(impl));
  file.for_name_ = for_name;
  return file;
}

int PartialFile::fd() const { return impl_->temp.fd(); }

Status PartialFile::Append(std::string_view bytes) {
  if (int err = WriteAll(fd(), bytes)) return FileError("write", for_name_, err);
  return Status::Ok();
}

Status PartialFile::Truncate() {
  if (::ftruncate(fd(), 0) != 0 || ::lseek(fd(), 0, SEEK_SET) != 0) {
    return FileError("truncate", for_name_, errno);
  }
  return Status::Ok();
}

Result<WriteOutcome> PartialFile::Publish(const std::string& name) {
  if (!IsSafeFileName(name)) {
    return UsageError("refusing to write '" + name + "': not a single file name");
  }
  if (!synced_) {  // once: a name already taken leaves the closed temp file for the next try
    if (::fsync(fd()) != 0) return FileError("fsync", name, errno);
    // Some filesystems report deferred write errors only on close.
    if (int err = impl_->temp.Close()) return FileError("close", name, err);
    synced_ = true;
  }
  int err = RenameWithoutReplace(impl_->dir_fd, impl_->temp, name);
  if (err == EEXIST) return WriteOutcome::kExists;
  if (err != 0) return FileError("rename the temp file to", name, err);
  Status synced = SyncDirectory(impl_->dir_fd, name);
  if (!synced.ok()) return synced;
  return WriteOutcome::kWritten;
}

Result<WriteOutcome> WriteFileAtomically(int dir_fd, const std::string& name,
                                         std::string_view bytes) {
  if (!IsSafeFileName(name)) {
    return UsageError("refusing to write '" + name + "': not a single file name");
  }
  Result<PartialFile> file = PartialFile::Create(dir_fd, name);
  if (!file.ok()) return file.status();
  if (Status s = file->Append(bytes); !s.ok()) return s;
  return file->Publish(name);
}

Result<size_t> RemoveStaleTempFiles(int dir_fd) {
  // fdopendir takes ownership of the fd it is given, so give it a duplicate.
  int listing_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (listing_fd < 0) return IoError("cannot list the output directory: " + ErrnoText(errno));
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(listing_fd));
  if (!dir) {
    int err = errno;
    ::close(listing_fd);
    return IoError("cannot list the output directory: " + ErrnoText(err));
  }
  ::rewinddir(dir.get());  // the duplicate shares its offset with dir_fd

  std::vector<std::string> stale;
  errno = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    std::string_view entry_name(entry->d_name);
    if (entry_name.starts_with(kTempFilePrefix) && IsRegularFileAt(dir_fd, entry->d_name)) {
      stale.emplace_back(entry_name);
    }
  }
  if (errno != 0) return IoError("cannot list the output directory: " + ErrnoText(errno));

  size_t removed = 0;
  for (const std::string& name : stale) {
    if (::unlinkat(dir_fd, name.c_str(), 0) == 0) {
      ++removed;
    } else if (errno != ENOENT) {
      return IoError("cannot remove stale temp file '" + name + "': " + ErrnoText(errno));
    }
  }
  return removed;
}

}  // namespace zfan
