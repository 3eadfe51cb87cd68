// CURVE key pairs on disk, in the layout of czmq certificates: PREFIX.key holds the public key
// (shareable), PREFIX.key_secret the public and secret keys (mode 0600). Keys are Z85 text.
#pragma once
#include <string>

#include "common/status.h"

namespace zfan {

struct CurveKeyPair {
  std::string public_z85;  // 40 characters
  std::string secret_z85;  // 40 characters
};

// True for 40 characters of Z85 that decode to a 32-byte key.
bool IsZ85Key(const std::string& text);

// A short, stable name for a key in logs (its first 8 characters and the length).
std::string KeyFingerprint(const std::string& public_z85);

Result<CurveKeyPair> GenerateCurveKeyPair();

// Writes PREFIX.key (0644) and PREFIX.key_secret (0600); refuses to replace either file.
Status WriteCurveKeyPair(const std::string& prefix, const CurveKeyPair& keys);

// Reads a secret certificate (PREFIX.key_secret): both keys must be there and valid.
Result<CurveKeyPair> ReadSecretCertificate(const std::string& path);

// Reads a public key: a certificate (PREFIX.key or PREFIX.key_secret) or a file holding just the
// Z85 key on a line.
Result<std::string> ReadPublicKey(const std::string& path);

// The public certificate's path beside a secret one (PREFIX.key_secret -> PREFIX.key).
std::string PublicCertificatePathFor(const std::string& secret_path);

}  // namespace zfan
