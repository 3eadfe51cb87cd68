// Thumbnails for the download job's `--thumbnails SIZE`: decode, shrink, re-encode as PNG.
#pragma once
#include <string>
#include <string_view>

#include "common/status.h"

namespace zfan::download {

// Limits checked from the image header before any pixel memory is allocated, so a hostile
// header cannot make the worker allocate gigabytes.
inline constexpr int kMaxImageSidePixels = 20000;
inline constexpr long long kMaxImagePixels = 100'000'000;

// Decodes `image_bytes` (JPEG, PNG, GIF: first frame, ...) and returns PNG bytes whose longer
// side is `size` pixels, aspect ratio kept. Like PIL's Image.thumbnail it never enlarges: an
// image already within `size` is re-encoded at its own dimensions. Corrupt, truncated or
// oversized input gives a non-ok Status, never a crash.
Result<std::string> MakeThumbnail(std::string_view image_bytes, int size);

}  // namespace zfan::download
