// Thumbnail making with stb_image / stb_image_resize / stb_image_write. The implementations come
// from the system libstb (linked via PkgConfig::STB), so no STB_*_IMPLEMENTATION is defined here.
#include "jobs/download/thumbnail.h"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>

namespace zfan::download {
namespace {

struct StbiPixelsFree {
  void operator()(stbi_uc* pixels) const { stbi_image_free(pixels); }
};
using DecodedPixels = std::unique_ptr<stbi_uc, StbiPixelsFree>;

struct Dimensions {
  int width;
  int height;
};

Status DecodeError(const char* what) {
  const char* reason = stbi_failure_reason();
  return ProtocolError(std::string(what) + ": " + (reason ? reason : "unknown reason"));
}

// Longer side becomes `size`, the shorter one scales with it (at least 1 px); never enlarges.
Dimensions FitWithin(Dimensions source, int size) {
  const int longer = std::max(source.width, source.height);
  if (longer <= size) return source;
  const double scale = static_cast<double>(size) / longer;
  auto scaled = [&](int side) { return std::max(1, static_cast<int>(std::lround(side * scale))); };
  if (source.width >= source.height) return {size, scaled(source.height)};
  return {scaled(source.width), size};
}

void AppendToString(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
}

// The index of the alpha channel stb_image uses for `channels` (grey+alpha, RGBA), or -1.
int AlphaChannelIndex(int channels) {
  if (channels == 2) return 1;
  if (channels == 4) return 3;
  return STBIR_ALPHA_CHANNEL_NONE;
}

}  // namespace

Result<std::string> MakeThumbnail(std::string_view image_bytes, int size) {
  if (size <= 0 || size > kMaxImageSidePixels) {
    return UsageError("thumbnail size must be between 1 and " +
                      std::to_string(kMaxImageSidePixels) + " pixels, got " + std::to_string(size));
  }
  if (image_bytes.empty() || image_bytes.size() > static_cast<size_t>(INT_MAX)) {
    return ProtocolError("cannot make a thumbnail: image is empty or larger than 2 GiB");
  }
  const auto* encoded = reinterpret_cast<const stbi_uc*>(image_bytes.data());
  const int encoded_size = static_cast<int>(image_bytes.size());

  Dimensions source{};
  int channels = 0;
  if (!stbi_info_from_memory(encoded, encoded_size, &source.width, &source.height, &channels)) {
    return DecodeError("cannot make a thumbnail: not a decodable image");
  }
  if (source.width <= 0 || source.height <= 0 || source.width > kMaxImageSidePixels ||
      source.height > kMaxImageSidePixels ||
      static_cast<long long>(source.width) * source.height > kMaxImagePixels) {
    return ProtocolError("cannot make a thumbnail: image is " + std::to_string(source.width) + "x" +
                         std::to_string(source.height) + " pixels, above the limit of " +
                         std::to_string(kMaxImageSidePixels) + " per side and " +
                         std::to_string(kMaxImagePixels) + " in total");
  }

  DecodedPixels pixels(
      stbi_load_from_memory(encoded, encoded_size, &source.width, &source.height, &channels, 0));
  if (!pixels) return DecodeError("cannot make a thumbnail: image data is corrupt");

  const Dimensions target = FitWithin(source, size);
  std::string resized(static_cast<size_t>(target.width) * target.height * channels, '\0');
  auto* resized_pixels = reinterpret_cast<unsigned char*>(resized.data());
  if (!stbir_resize_uint8_srgb(pixels.get(), source.width, source.height, 0, resized_pixels,
                               target.width, target.height, 0, channels,
                               AlphaChannelIndex(channels), 0)) {
    return ProtocolError("cannot make a thumbnail: resizing failed");
  }

  std::string png;
  if (!stbi_write_png_to_func(AppendToString, &png, target.width, target.height, channels,
                              resized_pixels, 0)) {
    return ProtocolError("cannot make a thumbnail: PNG encoding failed");
  }
  return png;
}

}  // namespace zfan::download
