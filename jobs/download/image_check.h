// Recognise the image formats the download job keeps (JPEG, PNG, GIF) from their first bytes.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace zfan::download {

// The MIME type ("image/jpeg", "image/png", "image/gif") that `bytes` start with, or nullopt.
// Servers mislabel bodies in both directions, so the bytes, not the Content-Type header, decide.
std::optional<std::string> DetectImageType(std::string_view bytes);

}  // namespace zfan::download
