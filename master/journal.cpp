#include "master/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace zfan::master {

namespace {

// The header's string fields; a missing or non-string field reads as "" (a mismatch, not a throw).
std::string StringField(const nlohmann::json& object, const char* key) {
  auto field = object.find(key);
  return field != object.end() && field->is_string() ? field->get<std::string>() : std::string();
}

}  // namespace

Result<JournalContents> ReadJournal(const std::string& path) {
  JournalContents out;
  std::ifstream in(path);
  if (!in) {
    if (access(path.c_str(), F_OK) != 0) return out;
    return IoError("cannot read journal '" + path + "'");
  }
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    // getline on the last line without '\n' still returns it; a torn line fails to parse anyway.
    if (first) {
      first = false;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || !j.contains("zfan_journal")) {
        return IoError("'" + path + "' is not a zfan journal (no header line)");
      }
      out.job = StringField(j, "job");
      out.fingerprint = StringField(j, "fingerprint");
      auto slots = j.find("plan_slots");
      if (slots != j.end() && slots->is_number_unsigned() && *slots <= UINT32_MAX) {
        out.plan_slots = slots->get<uint32_t>();
      }
      continue;
    }
    if (auto entry = ParseJournalLine(line)) {
      out.entries.push_back(std::move(*entry));
    } else {
      ++out.skipped_lines;
    }
  }
  return out;
}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) {
    (void)Flush(Clock::now(), true);
    close(fd_);
  }
}

Status JournalWriter::Open(const std::string& path, bool fresh, const std::string& job,
                           const std::string& fingerprint, uint32_t plan_slots) {
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (fresh ? O_TRUNC : 0);
  fd_ = open(path.c_str(), flags, 0644);
  if (fd_ < 0) return IoError("cannot open journal '" + path + "': " + std::strerror(errno));
  path_ = path;
  if (fresh) {
    buffer_ = nlohmann::json{{"zfan_journal", 1},
                             {"job", job},
                             {"fingerprint", fingerprint},
                             {"plan_slots", plan_slots}}
                  .dump() +
              "\n";
  }
  return Flush(Clock::now(), true);
}

void JournalWriter::Append(uint64_t id, const std::string& result) {
  if (fd_ < 0) return;
  buffer_ += FormatJournalLine(id, result);
  buffer_ += '\n';
}

Status JournalWriter::Flush(TimePoint now, bool force) {
  if (fd_ < 0) return Status::Ok();
  size_t off = 0;
  while (off < buffer_.size()) {
    ssize_t n = write(fd_, buffer_.data() + off, buffer_.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      buffer_.erase(0, off);
      return IoError("writing journal '" + path_ + "' failed: " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
    unsynced_ = true;
  }
  buffer_.clear();
  if (unsynced_ && (force || now - last_sync_ >= fsync_interval_)) {
    fdatasync(fd_);
    last_sync_ = now;
    unsynced_ = false;
  }
  return Status::Ok();
}

}  // namespace zfan::master
