#include "master/preforked_workers.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <utility>

namespace zfan::master {
namespace {

// Arguments travel NUL-separated, as in /proc/PID/cmdline.
std::string Join(const std::vector<std::string>& args) {
  std::string joined;
  for (const auto& a : args) joined.append(a).push_back('\0');
  return joined;
}

std::vector<std::string> Split(const std::string& joined) {
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t end; (end = joined.find('\0', start)) != std::string::npos; start = end + 1) {
    args.push_back(joined.substr(start, end - start));
  }
  return args;
}

// In the child: everything until EOF. Empty if the master closed the pipe without a word.
std::string ReadAll(int fd) {
  std::string bytes;
  char buffer[4096];
  for (;;) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got > 0) {
      bytes.append(buffer, static_cast<size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      return bytes;
    }
  }
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t put = ::write(fd, bytes.data(), bytes.size());
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(put));
  }
  return true;
}

}  // namespace

PreforkedWorkers::PreforkedWorkers(uint32_t count, const Entry& entry) {
  if (!entry) return;
  for (uint32_t i = 0; i < count; ++i) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    const int from_master = read_end.get();
    auto child = ChildProcess::Fork(
        [from_master, &entry] {
          std::string joined = ReadAll(from_master);
          ::close(from_master);
          if (joined.empty()) return 0;  // not needed after all
          return entry(Split(joined));
        },
        {.name = "zfan worker", .keep_fd = from_master, .parent_death_signal = SIGKILL});
    if (!child.ok()) return;
    waiting_.push_back({std::move(child).value(), std::move(write_end)});
  }
}

std::optional<ChildProcess> PreforkedWorkers::Launch(const std::vector<std::string>& args) {
  while (!waiting_.empty()) {
    Waiting next = std::move(waiting_.front());  // in fork order: local-1 is the first child
    waiting_.erase(waiting_.begin());
    bool sent = WriteAll(next.args_pipe.get(), Join(args));
    next.args_pipe.reset();  // EOF: the child has all of them
    if (sent) return std::move(next.child);
    // That child is gone (EPIPE, SIGPIPE is ignored): its destructor reaps it; try the next.
  }
  return std::nullopt;
}

}  // namespace zfan::master
