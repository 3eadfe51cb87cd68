// Atomic no-replace writes, output directory handling, and SHA-256 (common/).
#include "common/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/xxh128.h"
#include "tests/fixtures/sha256.h"

namespace fs = std::filesystem;
using zfan::ErrorCode;
using zfan::WriteOutcome;

namespace {

// A fresh directory under $TMPDIR, removed with everything in it at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "zfan-atomic-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> NamesIn(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

zfan::UniqueFd OpenDir(const fs::path& path) {
  auto dir = zfan::OpenOutputDir(path.string());
  REQUIRE(dir.ok());
  return std::move(dir).value();
}

// Lowers RLIMIT_FSIZE for its lifetime so that writes past `max_bytes` fail with EFBIG.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t max_bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    previous_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = max_bytes;
    ::setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit saved_{};
  sighandler_t previous_handler_;
};

// A tiny tmpfs mounted on `dir` (needs root), detached at the end.
class TinyFilesystem {
 public:
  explicit TinyFilesystem(const fs::path& dir) : dir_(dir) {
    mounted_ = ::geteuid() == 0 && ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k") == 0;
  }
  ~TinyFilesystem() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

// A failed write must say why and leave the (otherwise empty) directory empty: no temp file.
void CheckFailedCleanly(const zfan::Result<WriteOutcome>& written, const fs::path& dir,
                        const std::string& expected_text) {
  REQUIRE_FALSE(written.ok());
  CHECK(written.status().code() == ErrorCode::kIo);
  CHECK_THAT(written.status().message(), Catch::Contains(expected_text));
  CHECK(NamesIn(dir).empty());
}

}  // namespace

TEST_CASE("an atomic write stores exactly the given bytes under the given name") {
  ScratchDir scratch;
  zfan::UniqueFd dir = OpenDir(scratch.path());
  std::string bytes(1 << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 % 251);

  auto written = zfan::WriteFileAtomically(dir.get(), "image.jpg", bytes);
  REQUIRE(written.ok());
  CHECK(*written == WriteOutcome::kWritten);
  CHECK(ReadWholeFile(scratch.path() / "image.jpg") == bytes);
  CHECK(NamesIn(scratch.path()) == std::vector<std::string>{"image.jpg"});
}

TEST_CASE("an atomic write of zero bytes creates an empty file") {
  ScratchDir scratch;
  zfan::UniqueFd dir = OpenDir(scratch.path());
  auto written = zfan::WriteFileAtomically(dir.get(), "empty", "");
  REQUIRE(written.ok());
  CHECK(fs::file_size(scratch.path() / "empty") == 0);
}

TEST_CASE("an atomic write never replaces an existing file and leaves no temp file") {
  ScratchDir scratch;
  zfan::UniqueFd dir = OpenDir(scratch.path());
  REQUIRE(*zfan::WriteFileAtomically(dir.get(), "a.png", "first") == WriteOutcome::kWritten);

  auto second = zfan::WriteFileAtomically(dir.get(), "a.png", "second");
  REQUIRE(second.ok());
  CHECK(*second == WriteOutcome::kExists);
  CHECK(ReadWholeFile(scratch.path() / "a.png") == "first");
  CHECK(NamesIn(scratch.path()) == std::vector<std::string>{"a.png"});
}

TEST_CASE("an atomic write does not follow a symlink planted under the target name") {
  ScratchDir scratch;
  ScratchDir elsewhere;
  fs::create_symlink(elsewhere.path() / "victim", scratch.path() / "x.gif");
  zfan::UniqueFd dir = OpenDir(scratch.path());

  auto written = zfan::WriteFileAtomically(dir.get(), "x.gif", "payload");
  REQUIRE(written.ok());
  CHECK(*written == WriteOutcome::kExists);
  CHECK_FALSE(fs::exists(elsewhere.path() / "victim"));
}

TEST_CASE("names that are not a single path component are refused before anything is written") {
  ScratchDir scratch;
  zfan::UniqueFd dir = OpenDir(scratch.path());
  for (const std::string& name :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
        std::string("../escape"), std::string("/etc/passwd"), std::string("nul\0byte", 8)}) {
    INFO("name: " << name);
    CHECK_FALSE(zfan::IsSafeFileName(name));
    auto written = zfan::WriteFileAtomically(dir.get(), name, "x");
    REQUIRE_FALSE(written.ok());
    CHECK(written.status().code() == ErrorCode::kUsage);
  }
  CHECK(NamesIn(scratch.path()).empty());
  CHECK_FALSE(fs::exists(scratch.path().parent_path() / "escape"));
}

TEST_CASE("a failed write removes its temp file") {
  ScratchDir scratch;
  zfan::UniqueFd dir = OpenDir(scratch.path());
  FileSizeLimit limit(4096);
  auto written = zfan::WriteFileAtomically(dir.get(), "big.bin", std::string(64 * 1024, 'x'));
  CheckFailedCleanly(written, scratch.path(), "big.bin");
}

TEST_CASE("a full disk is reported as 'disk full' and leaves no temp file") {
  ScratchDir scratch;
  TinyFilesystem tiny(scratch.path());
  if (!tiny.mounted()) {
    WARN("SKIPPED: cannot mount a small tmpfs here (needs root); the EFBIG test covers cleanup");
    return;
  }
  zfan::UniqueFd dir = OpenDir(scratch.path());
  auto written = zfan::WriteFileAtomically(dir.get(), "huge.jpg", std::string(1 << 20, 'y'));
  CheckFailedCleanly(written, scratch.path(), "disk full");
}

TEST_CASE("OpenOutputDir creates missing parents and refuses a symlinked directory") {
  ScratchDir scratch;
  fs::path nested = scratch.path() / "a" / "b" / "c";
  auto dir = zfan::OpenOutputDir(nested.string());
  REQUIRE(dir.ok());
  CHECK(dir->valid());
  CHECK(fs::is_directory(nested));

  fs::create_directory_symlink(nested, scratch.path() / "link");
  auto via_link = zfan::OpenOutputDir((scratch.path() / "link").string());
  REQUIRE_FALSE(via_link.ok());
  CHECK_THAT(via_link.status().message(), Catch::Contains("symbolic link"));

  std::ofstream(scratch.path() / "plain-file") << "x";
  auto on_file = zfan::OpenOutputDir((scratch.path() / "plain-file").string());
  REQUIRE_FALSE(on_file.ok());
  CHECK_THAT(on_file.status().message(), Catch::Contains("plain-file"));
}

TEST_CASE("stale temp files from a crash are removed and nothing else is touched") {
  ScratchDir scratch;
  std::ofstream(scratch.path() / ".zfan-tmp-0123456789abcdef") << "partial";
  std::ofstream(scratch.path() / ".zfan-tmp-fedcba9876543210") << "partial";
  std::ofstream(scratch.path() / "keep.jpg") << "done";
  fs::create_directory(scratch.path() / ".zfan-tmp-not-a-file");
  zfan::UniqueFd dir = OpenDir(scratch.path());

  auto removed = zfan::RemoveStaleTempFiles(dir.get());
  REQUIRE(removed.ok());
  CHECK(*removed == 2);
  CHECK(NamesIn(scratch.path()) == std::vector<std::string>{".zfan-tmp-not-a-file", "keep.jpg"});
}

TEST_CASE("UniqueFd closes its descriptor and moves ownership") {
  int raw = ::dup(STDERR_FILENO);
  REQUIRE(raw >= 0);
  {
    zfan::UniqueFd first(raw);
    zfan::UniqueFd second(std::move(first));
    CHECK_FALSE(first.valid());
    CHECK(second.get() == raw);
  }
  CHECK(::fcntl(raw, F_GETFD) == -1);
}

TEST_CASE("the tests' SHA-256 matches the FIPS 180-2 test vectors") {
  CHECK(zfan::Sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(zfan::Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("XXH3-128 matches what xxh128sum prints") {
  CHECK(zfan::Xxh128Hex("") == "99aa06d3014798d86001c324468d497f");
  CHECK(zfan::Xxh128Hex("abc") == "06b05ab6733a618578af5f94892f3950");
}

TEST_CASE("XXH3-128 of a file, read in blocks, equals that of its bytes") {
  ScratchDir scratch;
  zfan::UniqueFd dir = OpenDir(scratch.path());
  std::string bytes(300000, 'q');  // several read blocks
  bytes[150000] = 'x';
  REQUIRE(zfan::WriteFileAtomically(dir.get(), "f", bytes).ok());

  auto hashed = zfan::Xxh128HexOfFile((scratch.path() / "f").string());
  REQUIRE(hashed.ok());
  CHECK(*hashed == zfan::Xxh128Hex(bytes));
  CHECK(*hashed != zfan::Xxh128Hex(std::string(300000, 'q')));

  auto missing = zfan::Xxh128HexOfFile((scratch.path() / "missing").string());
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("missing"));
}
