// SHA-256 digests as lowercase hex, for checking that a written file holds exactly what arrived.
#pragma once
#include <string>
#include <string_view>

#include "common/status.h"

namespace zfan {

// The SHA-256 of `bytes` as 64 lowercase hex digits ("" only if OpenSSL is out of memory).
std::string Sha256Hex(std::string_view bytes);

// The SHA-256 of the file at `path`, read in blocks (any size). kIo if it cannot be read.
Result<std::string> Sha256HexOfFile(const std::string& path);

}  // namespace zfan
