// SHA-256 through OpenSSL's EVP interface, with the digest context owned by a unique_ptr.
#include "common/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <system_error>

#include "common/atomic_file.h"

namespace zfan {
namespace {

struct DigestContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextDeleter>;

// Incremental SHA-256. EVP calls fail only when out of memory; the digest is then "" (never a
// wrong digest), which compares unequal to any real one.
class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new()) {
    ok_ = context_ && EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) == 1;
  }
  void Update(std::string_view bytes) {
    ok_ = ok_ && EVP_DigestUpdate(context_.get(), bytes.data(), bytes.size()) == 1;
  }
  std::string FinishHex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    ok_ = ok_ && EVP_DigestFinal_ex(context_.get(), digest.data(), &length) == 1;
    if (!ok_) return {};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
      hex += kHex[digest[i] >> 4];
      hex += kHex[digest[i] & 0xf];
    }
    return hex;
  }

 private:
  DigestContext context_;
  bool ok_ = false;
};

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  Sha256 sha;
  sha.Update(bytes);
  return sha.FinishHex();
}

Result<std::string> Sha256HexOfFile(const std::string& path) {
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) {
    return IoError("cannot open '" + path +
                   "' to hash it: " + std::generic_category().message(errno));
  }
  Sha256 sha;
  std::array<char, 1 << 16> buffer;
  for (;;) {
    ssize_t got = ::read(file.get(), buffer.data(), buffer.size());
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read '" + path +
                     "' to hash it: " + std::generic_category().message(errno));
    }
    sha.Update(std::string_view(buffer.data(), static_cast<size_t>(got)));
  }
  std::string hex = sha.FinishHex();
  if (hex.empty()) return Status(ErrorCode::kInternal, "OpenSSL could not compute a SHA-256");
  return hex;
}

}  // namespace zfan
