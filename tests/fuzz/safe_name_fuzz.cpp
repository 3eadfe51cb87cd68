// libFuzzer target for zfan::download::SafeBaseName: whatever the URL, the name is one harmless
// path component (the contract in jobs/download/file_name.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jobs/download/file_name.h"

namespace {

bool IsSafeName(const std::string& name) {
  using namespace zfan::download;
  if (name.empty() || name == "." || name == ".." || name.size() > kMaxBaseNameBytes) return false;
  if (name.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos) return false;
  if (name.front() == '.' || name.front() == '-' || name.back() == '.') return false;
  if (name.find("..") != std::string::npos) return false;
  for (std::string_view rest = name; !rest.empty();) {
    char32_t codepoint = 0;
    size_t length = DecodeUtf8(rest, codepoint);
    if (length == 0 || codepoint < 0x20 || (codepoint >= 0x7F && codepoint <= 0x9F)) return false;
    rest.remove_prefix(length);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view url(reinterpret_cast<const char*>(data), size);
  if (!IsSafeName(zfan::download::SafeBaseName(url))) __builtin_trap();
  return 0;
}
