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

struct Xxh128Stream::State {
  XXH3_state_t xxh;
};

Xxh128Stream::Xxh128Stream() : state_(std::make_unique<State>()) { Reset(); }
Xxh128Stream::~Xxh128Stream() = default;
Xxh128Stream::Xxh128Stream(Xxh128Stream&&) noexcept = default;
Xxh128Stream& Xxh128Stream::operator=(Xxh128Stream&&) noexcept = default;
void Xxh128Stream::Reset() { XXH3_128bits_reset(&state_->xxh); }
void Xxh128Stream::Update(std::string_view bytes) {
  XXH3_128bits_update(&state_->xxh, bytes.data(), bytes.size());
}
std::string Xxh128Stream::Hex() const { return zfan::Hex(XXH3_128bits_digest(&state_->xxh)); }

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
