// The resume journal (master/journal.h): written lines read back, torn and malformed lines
// skipped and counted, missing and header-less files handled.
#include "master/journal.h"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;
using namespace zfan::master;
using zfan::Clock;

namespace {

// A fresh directory under $TMPDIR, removed with everything in it at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "zfan-journal-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

void AppendRaw(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

}  // namespace

TEST_CASE("a journal written with a header and entries reads back the same", "[journal]") {
  ScratchDir dir;
  std::string path = dir.File("job.journal");
  {
    JournalWriter w;
    REQUIRE(w.Open(path, /*fresh=*/true, "primes", "fp-123").ok());
    CHECK(w.is_open());
    w.Append(0, R"({"count":4})");
    w.Append(41, "");
    w.Append(UINT64_MAX, "line\nbreak \"quoted\" \\ and unicode \xc3\xa9");
    REQUIRE(w.Flush(Clock::now(), /*force=*/true).ok());
  }
  auto j = ReadJournal(path);
  REQUIRE(j.ok());
  CHECK(j->job == "primes");
  CHECK(j->fingerprint == "fp-123");
  CHECK(j->skipped_lines == 0);
  REQUIRE(j->entries.size() == 3);
  CHECK(j->entries[0].id == 0);
  CHECK(j->entries[0].result == R"({"count":4})");
  CHECK(j->entries[1].id == 41);
  CHECK(j->entries[1].result.empty());
  CHECK(j->entries[2].id == UINT64_MAX);
  CHECK(j->entries[2].result == "line\nbreak \"quoted\" \\ and unicode \xc3\xa9");
  // One line per record: the newline inside a result is escaped.
  std::string text = ReadAll(path);
  CHECK(std::count(text.begin(), text.end(), '\n') == 4);
}

TEST_CASE("appended lines reach the file when flushed, without waiting for close", "[journal]") {
  ScratchDir dir;
  std::string path = dir.File("j");
  JournalWriter w;
  REQUIRE(w.Open(path, true, "sum", "fp").ok());
  w.Append(5, "r5");
  REQUIRE(w.Flush(Clock::now()).ok());
  auto j = ReadJournal(path);
  REQUIRE(j.ok());
  REQUIRE(j->entries.size() == 1);
  CHECK(j->entries[0].id == 5);
}

TEST_CASE("the writer flushes what it buffered when destroyed", "[journal]") {
  ScratchDir dir;
  std::string path = dir.File("j");
  {
    JournalWriter w;
    REQUIRE(w.Open(path, true, "sum", "fp").ok());
    w.Append(1, "a");
    w.Append(2, "b");
  }
  auto j = ReadJournal(path);
  REQUIRE(j.ok());
  CHECK(j->entries.size() == 2);
}

TEST_CASE("a torn last line is skipped and counted", "[journal]") {
  ScratchDir dir;
  std::string path = dir.File("j");
  {
    JournalWriter w;
    REQUIRE(w.Open(path, true, "sum", "fp").ok());
    w.Append(1, "one");
    w.Append(2, "two");
  }
  AppendRaw(path, R"({"id":3,"r":"thr)");  // killed mid-write: no newline, half the JSON
  auto j = ReadJournal(path);
  REQUIRE(j.ok());
  REQUIRE(j->entries.size() == 2);
  CHECK(j->entries[1].id == 2);
  CHECK(j->skipped_lines == 1);
}

TEST_CASE("malformed lines in the middle are skipped and counted", "[journal]") {
  ScratchDir dir;
  std::string path = dir.File("j");
  WriteAll(path,
           "{\"zfan_journal\":1,\"job\":\"sum\",\"fingerprint\":\"f\"}\n"
           "{\"id\":1,\"r\":\"a\"}\n"
           "not json at all\n"
           "\n"
           "{\"id\":-2,\"r\":\"negative id\"}\n"
           "{\"id\":\"3\",\"r\":\"string id\"}\n"
           "{\"id\":4}\n"
           "{\"id\":5,\"r\":7}\n"
           "[5,\"array\"]\n"
           "{\"id\":6,\"r\":\"b\"}\n");
  auto j = ReadJournal(path);
  REQUIRE(j.ok());
  REQUIRE(j->entries.size() == 2);
  CHECK(j->entries[0].id == 1);
  CHECK(j->entries[1].id == 6);
  CHECK(j->entries[1].result == "b");
  CHECK(j->skipped_lines == 7);
}

TEST_CASE("a missing journal file is an empty journal", "[journal]") {
  ScratchDir dir;
  auto j = ReadJournal(dir.File("does-not-exist"));
  REQUIRE(j.ok());
  CHECK(j->entries.empty());
  CHECK(j->job.empty());
  CHECK(j->skipped_lines == 0);
}

TEST_CASE("a journal keeps the slots its job was planned for; an older header reads as 0",
          "[journal]") {
  ScratchDir dir;
  std::string path = dir.File("job.journal");
  {
    JournalWriter w;
    REQUIRE(w.Open(path, /*fresh=*/true, "primes", "fp", /*plan_slots=*/1).ok());
  }
  auto planned = ReadJournal(path);
  REQUIRE(planned.ok());
  CHECK(planned->plan_slots == 1);

  WriteAll(path, R"({"zfan_journal":1,"job":"primes","fingerprint":"fp"})" "\n");
  auto old = ReadJournal(path);
  REQUIRE(old.ok());
  CHECK(old->fingerprint == "fp");
  CHECK(old->plan_slots == 0);
  for (const char* bad : {R"(-1)", R"("1")", R"(4294967296)", R"(1.5)"}) {
    WriteAll(path, std::string(R"({"zfan_journal":1,"job":"primes","plan_slots":)") + bad + "}\n");
    auto j = ReadJournal(path);
    REQUIRE(j.ok());
    CHECK(j->plan_slots == 0);
  }
}

TEST_CASE("a file without a journal header is an error naming the file", "[journal]") {
  ScratchDir dir;
  std::string path = dir.File("results.txt");
  WriteAll(path, "{\"id\":1,\"r\":\"a\"}\n{\"id\":2,\"r\":\"b\"}\n");
  auto j = ReadJournal(path);
  REQUIRE_FALSE(j.ok());
  CHECK(j.status().code() == zfan::ErrorCode::kIo);
  CHECK_THAT(j.status().message(), Catch::Contains(path));

  WriteAll(path, "hello world\n");
  CHECK_FALSE(ReadJournal(path).ok());
}

TEST_CASE("reopening without fresh appends and writes no second header", "[journal]") {
  ScratchDir dir;
  std::string path = dir.File("j");
  {
    JournalWriter w;
    REQUIRE(w.Open(path, true, "primes", "fp-1").ok());
    w.Append(0, "a");
    w.Append(1, "b");
  }
  {
    JournalWriter w;
    REQUIRE(w.Open(path, /*fresh=*/false, "ignored-job", "ignored-fp").ok());
    w.Append(2, "c");
  }
  std::string text = ReadAll(path);
  size_t headers = 0;
  for (size_t pos = 0; (pos = text.find("zfan_journal", pos)) != std::string::npos; ++pos) {
    ++headers;
  }
  CHECK(headers == 1);
  auto j = ReadJournal(path);
  REQUIRE(j.ok());
  CHECK(j->job == "primes");
  CHECK(j->fingerprint == "fp-1");
  REQUIRE(j->entries.size() == 3);
  CHECK(j->entries[2].id == 2);
  CHECK(j->entries[2].result == "c");
  CHECK(j->skipped_lines == 0);
}

TEST_CASE("reopening fresh truncates the old journal", "[journal]") {
  ScratchDir dir;
  std::string path = dir.File("j");
  {
    JournalWriter w;
    REQUIRE(w.Open(path, true, "old", "fp-old").ok());
    w.Append(0, "a");
  }
  {
    JournalWriter w;
    REQUIRE(w.Open(path, true, "new", "fp-new").ok());
  }
  auto j = ReadJournal(path);
  REQUIRE(j.ok());
  CHECK(j->job == "new");
  CHECK(j->entries.empty());
}

TEST_CASE("opening a journal in a missing directory is an I/O error", "[journal]") {
  ScratchDir dir;
  JournalWriter w;
  auto s = w.Open(dir.File("no/such/dir/j"), true, "sum", "fp");
  CHECK_FALSE(s.ok());
  CHECK(s.code() == zfan::ErrorCode::kIo);
  CHECK_FALSE(w.is_open());
  w.Append(1, "dropped");  // a closed writer ignores appends
  CHECK(w.Flush(Clock::now(), true).ok());
}
