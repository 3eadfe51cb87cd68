// Magic-byte signatures of the image formats the download job accepts.
#include "jobs/download/image_check.h"

#include <array>

namespace zfan::download {
namespace {

struct Signature {
  std::string_view magic;
  std::string_view mime_type;
};

using namespace std::string_view_literals;

// The PNG signature and JPEG SOI marker contain bytes >= 0x80, hence the explicit escapes.
constexpr std::array<Signature, 4> kSignatures{{
    {"\xFF\xD8\xFF"sv, "image/jpeg"sv},
    {"\x89PNG\r\n\x1A\n"sv, "image/png"sv},
    {"GIF87a"sv, "image/gif"sv},
    {"GIF89a"sv, "image/gif"sv},
}};

}  // namespace

std::optional<std::string> DetectImageType(std::string_view bytes) {
  for (const Signature& signature : kSignatures) {
    if (bytes.starts_with(signature.magic)) return std::string(signature.mime_type);
  }
  return std::nullopt;
}

}  // namespace zfan::download
