#include "common/xxh128.h"

#include <fcntl.h>
#include <unistd.h>

#define XXH_INLINE_ALL  // header-only: inlined into this file, no libxxhash at run time
#include <xxhash.h>

#include <array>
#include <cerrno>
#include <memory>
#include <system_error>

#include "common/unique_fd.h"

namespace zfan {
namespace {

struct StateDeleter {
  void operator()(XXH3_state_t* state) const { XXH3_freeState(state); }
};

std::string Hex(XXH128_hash_t hash) {
  XXH128_canonical_t canonical;  // big-endian bytes, as xxh128sum prints them
  XXH128_canonicalFromHash(&canonical, hash);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof canonical.digest);
  for (unsigned char byte : canonical.digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return hex;
}

Status ReadError(std::string_view action, const std::string& path) {
  return IoError("cannot " + std::string(action) + " '" + path +
                 "' to hash it: " + std::generic_category().message(errno));
}

}  // namespace

std::string Xxh128Hex(std::string_view bytes) {
  return Hex(XXH3_128bits(bytes.data(), bytes.size()));
}

Result<std::string> Xxh128HexOfFile(const std::string& path) {
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return ReadError("open", path);
  std::unique_ptr<XXH3_state_t, StateDeleter> state(XXH3_createState());
  if (!state || XXH3_128bits_reset(state.get()) != XXH_OK) {
    return Status(ErrorCode::kInternal, "out of memory for a hash state");
  }
  std::array<char, 1 << 16> buffer;
  for (;;) {
    ssize_t got = ::read(file.get(), buffer.data(), buffer.size());
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return ReadError("read", path);
    }
    XXH3_128bits_update(state.get(), buffer.data(), static_cast<size_t>(got));
  }
  return Hex(XXH3_128bits_digest(state.get()));
}

}  // namespace zfan
