// Logging set-up: every module logs through spdlog to stderr; stdout is for results only.
#pragma once
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace zfan {

// Sets the default stderr logger; `verbosity` 0 = warn, 1 = info, 2 = debug.
void SetupLogging(const std::string& process_name, int verbosity);

}  // namespace zfan
