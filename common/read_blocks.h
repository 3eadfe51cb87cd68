// Streaming a file through a function, block by block, for files of any size (e.g. hashing).
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace zfan {

// Calls `consume` with the file's bytes in order, 64 KiB at a time. kIo, naming the file and
// `purpose` ("hash it"), if it cannot be opened or read.
Status ReadInBlocks(const std::string& path, std::string_view purpose,
                    const std::function<void(std::string_view)>& consume);

}  // namespace zfan
