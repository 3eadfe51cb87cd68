#include "common/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/unique_fd.h"

namespace zfan {
namespace {

constexpr size_t kZ85KeyChars = 40;
const char* const kSecretSuffix = "_secret";

std::string Today() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// czmq's certificate layout; the secret one holds both keys.
std::string CertificateText(const CurveKeyPair& keys, bool with_secret) {
  std::string text = "#   ****  Generated on " + Today() + " by zfan keygen  ****\n";
  text += with_secret ? "#   ZeroMQ CURVE **Secret** Certificate\n"
                        "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n"
                      : "#   ZeroMQ CURVE Public Certificate\n"
                        "#   Exchange securely, or use a secure mechanism to verify the contents\n"
                        "#   of this file after exchange.\n";
  text += "\nmetadata\ncurve\n    public-key = \"" + keys.public_z85 + "\"\n";
  if (with_secret) text += "    secret-key = \"" + keys.secret_z85 + "\"\n";
  return text;
}

// Creates `path` with `mode`, failing if it exists (O_EXCL: never replaces a key).
Status WriteNewFile(const std::string& path, const std::string& text, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd.valid()) {
    if (errno == EEXIST) {
      return UsageError("'" + path +
                        "' exists; zfan keygen never replaces a key (remove it first)");
    }
    return IoError("cannot create '" + path + "': " + std::strerror(errno));
  }
  ::fchmod(fd.get(), mode);  // the umask must not widen or narrow what we ask for
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd.get()) != 0) {
    return IoError("cannot write '" + path + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::string> ReadSmallFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return IoError("cannot read " + std::string(what) + " '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 64 * 1024) {
    return UsageError(std::string(what) + " '" + path + "' is too large to be a key file");
  }
  return text.str();
}

// The quoted value of `name = "..."` in a certificate, if present.
std::optional<std::string> CertificateValue(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto at = line.find_first_not_of(" \t");
    if (at == std::string::npos || line.compare(at, name.size(), name) != 0) continue;
    auto open = line.find('"', at + name.size());
    auto close = open == std::string::npos ? open : line.find('"', open + 1);
    if (close == std::string::npos) return std::nullopt;
    return line.substr(open + 1, close - open - 1);
  }
  return std::nullopt;
}

}  // namespace

bool IsZ85Key(const std::string& text) {
  if (text.size() != kZ85KeyChars) return false;
  uint8_t key[32];
  return zmq_z85_decode(key, text.c_str()) != nullptr;
}

std::string KeyFingerprint(const std::string& public_z85) { return public_z85.substr(0, 8) + "…"; }

Result<CurveKeyPair> GenerateCurveKeyPair() {
  char pub[kZ85KeyChars + 1];
  char sec[kZ85KeyChars + 1];
  if (zmq_curve_keypair(pub, sec) != 0) {
    return IoError(std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()) +
                   " (is libzmq built with CURVE support?)");
  }
  return CurveKeyPair{pub, sec};
}

Status WriteCurveKeyPair(const std::string& prefix, const CurveKeyPair& keys) {
  const std::string pub_path = prefix + ".key";
  const std::string sec_path = pub_path + kSecretSuffix;
  struct stat st {};
  for (const auto& p : {pub_path, sec_path}) {
    if (::lstat(p.c_str(), &st) == 0) {
      return UsageError("'" + p + "' exists; zfan keygen never replaces a key (remove it first)");
    }
  }
  // The secret first: a public key without its secret would be useless.
  if (Status s = WriteNewFile(sec_path, CertificateText(keys, true), 0600); !s.ok()) return s;
  return WriteNewFile(pub_path, CertificateText(keys, false), 0644);
}

Result<CurveKeyPair> ReadSecretCertificate(const std::string& path) {
  auto text = ReadSmallFile(path, "CURVE secret key file");
  if (!text.ok()) return text.status();
  auto pub = CertificateValue(*text, "public-key");
  auto sec = CertificateValue(*text, "secret-key");
  if (!sec) {
    return UsageError("'" + path +
                      "' holds no secret-key: pass the PREFIX.key_secret file that zfan keygen "
                      "wrote, not the public PREFIX.key");
  }
  if (!pub || !IsZ85Key(*pub) || !IsZ85Key(*sec)) {
    return UsageError("'" + path + "' is not a valid CURVE secret certificate (bad Z85 key)");
  }
  return CurveKeyPair{*pub, *sec};
}

Result<std::string> ReadPublicKey(const std::string& path) {
  auto text = ReadSmallFile(path, "CURVE public key file");
  if (!text.ok()) return text.status();
  std::string key;
  if (auto pub = CertificateValue(*text, "public-key")) {
    key = *pub;
  } else {
    std::istringstream words(*text);
    words >> key;
  }
  if (!IsZ85Key(key)) {
    return UsageError("'" + path + "' holds no valid CURVE public key (40 Z85 characters)");
  }
  return key;
}

std::string PublicCertificatePathFor(const std::string& secret_path) {
  const std::string suffix = kSecretSuffix;
  if (secret_path.size() > suffix.size() &&
      secret_path.compare(secret_path.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return secret_path.substr(0, secret_path.size() - suffix.size());
  }
  return secret_path + ".pub";
}

}  // namespace zfan
