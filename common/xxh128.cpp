#include "common/xxh128.h"

#define XXH_INLINE_ALL  // header-only: inlined into this file, no libxxhash at run time
#include <xxhash.h>

#include <memory>

#include "common/read_blocks.h"

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

}  // namespace

std::string Xxh128Hex(std::string_view bytes) {
  return Hex(XXH3_128bits(bytes.data(), bytes.size()));
}

Result<std::string> Xxh128HexOfFile(const std::string& path) {
  std::unique_ptr<XXH3_state_t, StateDeleter> state(XXH3_createState());
  if (!state || XXH3_128bits_reset(state.get()) != XXH_OK) {
    return Status(ErrorCode::kInternal, "out of memory for a hash state");
  }
  Status read = ReadInBlocks(path, "hash it", [&](std::string_view block) {
    XXH3_128bits_update(state.get(), block.data(), block.size());
  });
  if (!read.ok()) return read;
  return Hex(XXH3_128bits_digest(state.get()));
}

}  // namespace zfan
