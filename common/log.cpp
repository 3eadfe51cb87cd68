#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace zfan {

void SetupLogging(const std::string& process_name, int verbosity) {
  auto logger = spdlog::stderr_color_mt(process_name);
  logger->set_pattern("%H:%M:%S.%e %^%l%$ [%n] %v");
  logger->set_level(verbosity >= 2   ? spdlog::level::debug
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace zfan
