#include "common/open_files_limit.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace zfan {
namespace {

std::string LimitText(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

}  // namespace

Status RaiseOpenFilesLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return IoError(std::string("cannot read the open-files limit: ") + std::strerror(errno));
  }
  if (limit.rlim_cur == limit.rlim_max) {
    spdlog::debug("open-files limit: {} (already the hard limit)", LimitText(limit.rlim_cur));
    return Status::Ok();
  }
  rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return IoError("cannot raise the open-files limit from " + LimitText(before) + " to " +
                   LimitText(limit.rlim_max) + ": " + std::strerror(errno));
  }
  spdlog::debug("open-files limit raised from {} to {} (the hard limit)", LimitText(before),
                LimitText(limit.rlim_cur));
  return Status::Ok();
}

}  // namespace zfan
