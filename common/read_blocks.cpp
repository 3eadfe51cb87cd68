#include "common/read_blocks.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "common/unique_fd.h"

namespace zfan {

Status ReadInBlocks(const std::string& path, std::string_view purpose,
                    const std::function<void(std::string_view)>& consume) {
  auto error = [&](std::string_view action) {
    return IoError("cannot " + std::string(action) + " '" + path + "' to " + std::string(purpose) +
                   ": " + std::generic_category().message(errno));
  };
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return error("open");
  std::array<char, 1 << 16> buffer;
  for (;;) {
    ssize_t got = ::read(file.get(), buffer.data(), buffer.size());
    if (got == 0) return Status::Ok();
    if (got < 0) {
      if (errno == EINTR) continue;
      return error("read");
    }
    consume(std::string_view(buffer.data(), static_cast<size_t>(got)));
  }
}

}  // namespace zfan
