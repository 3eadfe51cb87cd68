// CURVE key files (common/curve_keys) and the master's allowlist (master/authorized_workers).
#include "common/curve_keys.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "master/authorized_workers.h"

namespace fs = std::filesystem;
using zfan::master::LoadAuthorizedWorkers;

namespace {

struct ScratchDir {
  ScratchDir() {
    char tmpl[] = "/tmp/zfan-keys-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~ScratchDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("a generated key pair round-trips through its certificate files", "[curve]") {
  ScratchDir dir;
  auto keys = zfan::GenerateCurveKeyPair();
  REQUIRE(keys.ok());
  CHECK(zfan::IsZ85Key(keys->public_z85));
  CHECK(zfan::IsZ85Key(keys->secret_z85));
  REQUIRE(zfan::WriteCurveKeyPair(dir / "m", *keys).ok());
  auto secret = zfan::ReadSecretCertificate(dir / "m.key_secret");
  REQUIRE(secret.ok());
  CHECK(secret->public_z85 == keys->public_z85);
  CHECK(secret->secret_z85 == keys->secret_z85);
  auto pub = zfan::ReadPublicKey(dir / "m.key");
  REQUIRE(pub.ok());
  CHECK(*pub == keys->public_z85);
  CHECK(zfan::PublicCertificatePathFor(dir / "m.key_secret") == dir / "m.key");
  // Never replaced, and the public file is no secret.
  CHECK(zfan::WriteCurveKeyPair(dir / "m", *keys).code() == zfan::ErrorCode::kUsage);
  CHECK_FALSE(zfan::ReadSecretCertificate(dir / "m.key").ok());
}

TEST_CASE("a bare Z85 key is a public key file; junk is not", "[curve]") {
  ScratchDir dir;
  auto keys = zfan::GenerateCurveKeyPair();
  REQUIRE(keys.ok());
  Write(dir / "bare", keys->public_z85 + "\n");
  auto pub = zfan::ReadPublicKey(dir / "bare");
  REQUIRE(pub.ok());
  CHECK(*pub == keys->public_z85);
  Write(dir / "junk", "hello\n");
  CHECK_FALSE(zfan::ReadPublicKey(dir / "junk").ok());
  CHECK_FALSE(zfan::ReadPublicKey(dir / "missing").ok());
  CHECK_FALSE(zfan::IsZ85Key(keys->public_z85.substr(1)));
  CHECK_FALSE(zfan::IsZ85Key(std::string(40, '"')));  // not in the Z85 alphabet
}

TEST_CASE("the allowlist reads keys, names and comments, and fails closed", "[curve]") {
  ScratchDir dir;
  auto a = zfan::GenerateCurveKeyPair();
  auto b = zfan::GenerateCurveKeyPair();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  Write(dir / "ok",
        "# lab\n" + a->public_z85 + "  lab-1 (room 2)\n\n  " + b->public_z85 + "   # no name\n");
  auto list = LoadAuthorizedWorkers(dir / "ok");
  REQUIRE(list.ok());
  CHECK(list->names_by_key.size() == 2);
  CHECK(list->names_by_key.at(a->public_z85) == "lab-1 (room 2)");
  CHECK(list->names_by_key.at(b->public_z85).empty());
  CHECK(list->Admits(a->public_z85));
  CHECK_FALSE(list->Admits(a->secret_z85));

  CHECK(LoadAuthorizedWorkers(dir / "missing").status().code() == zfan::ErrorCode::kIo);
  Write(dir / "empty", "# nobody\n\n");
  CHECK(LoadAuthorizedWorkers(dir / "empty").status().message().find("lists no key") !=
        std::string::npos);
  Write(dir / "bad", a->public_z85 + "\n" + a->public_z85.substr(0, 39) + "\n");
  auto bad = LoadAuthorizedWorkers(dir / "bad");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("line 2") != std::string::npos);
}

TEST_CASE("a '#' inside a key is part of the key, not a comment", "[curve]") {
  ScratchDir dir;
  // Z85's alphabet has '#': find a key with one (about half of all keys do).
  std::string key;
  for (int i = 0; i < 1000 && key.find('#') == std::string::npos; ++i) {
    key = zfan::GenerateCurveKeyPair()->public_z85;
  }
  REQUIRE(key.find('#') != std::string::npos);
  Write(dir / "list", key + " #comment\n");
  auto list = LoadAuthorizedWorkers(dir / "list");
  REQUIRE(list.ok());
  CHECK(list->Admits(key));
}
