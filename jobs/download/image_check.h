// Recognise the image formats the download job keeps (JPEG, PNG, GIF) from their first bytes.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace zfan::download {

// The MIME type ("image/jpeg", "image/png", "image/gif") that `bytes` start with, or nullopt.
// Servers mislabel bodies in both directions, so the bytes, not the Content-Type header, decide.
std::optional<std::string> DetectImageType(std::string_view bytes);

// How many first bytes of a body DetectImageType (and an error message's hex prefix) look at: what
// a body written or sent in pieces keeps of its start.
constexpr size_t kImageHeadBytes = 16;

// Adds the start of `bytes` to `head` until it holds kImageHeadBytes.
inline void KeepImageHead(std::string& head, std::string_view bytes) {
  if (head.size() < kImageHeadBytes) head.append(bytes.substr(0, kImageHeadBytes - head.size()));
}

}  // namespace zfan::download
