// The bundle format (bundle/bundle.h): reproducible bytes, signatures, and every way a
// bundle is refused.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bundle/archive.h"
#include "bundle/bundle.h"
#include "bundle/signing.h"
#include "engine/loader.h"
#include "tests/test_support.h"

namespace statemark::bundle {
namespace {

using statemark::testing::ScratchDir;

struct Keys {
  ScratchDir dir;
  std::unique_ptr<Ed25519Key> signing, verifying, other_signing, other_verifying;
  Keys() {
    std::string error;
    REQUIRE(!GenerateKeyPair(dir.str() + "/a.key", dir.str() + "/a.pub", &error).empty());
    REQUIRE(!GenerateKeyPair(dir.str() + "/b.key", dir.str() + "/b.pub", &error).empty());
    signing = Ed25519Key::LoadPrivate(dir.str() + "/a.key", &error);
    verifying = Ed25519Key::LoadPublic(dir.str() + "/a.pub", &error);
    other_signing = Ed25519Key::LoadPrivate(dir.str() + "/b.key", &error);
    other_verifying = Ed25519Key::LoadPublic(dir.str() + "/b.pub", &error);
    REQUIRE(signing);
    REQUIRE(verifying);
    REQUIRE(other_signing);
    REQUIRE(other_verifying);
  }
};

// Bundles `dir` as the CLI does.
std::string Build(const std::string& dir, const Ed25519Key* key, int64_t created = 1719835200,
                  std::optional<std::string> revision = "rev-1") {
  auto loaded = LoadPolicy(dir);
  REQUIRE(loaded.ok());
  BuildInput input;
  input.policy_dir = dir;
  input.policy_version = loaded.value()->version;
  for (const SourceFile& f : loaded.value()->files) input.files.push_back(f.path);
  input.created_seconds = created;
  input.revision = std::move(revision);
  input.signing_key = key;
  std::string bytes, error;
  Manifest manifest;
  REQUIRE_MESSAGE(BuildBundle(input, &bytes, &manifest, &error), error);
  return bytes;
}

std::vector<ArchiveEntry> Entries(const std::string& bytes) {
  std::vector<ArchiveEntry> entries;
  std::string error;
  REQUIRE_MESSAGE(ReadTarGz(bytes, ArchiveLimits{}, &entries, &error), error);
  return entries;
}

std::string Repack(const std::vector<ArchiveEntry>& entries) {
  std::string bytes, error;
  REQUIRE(WriteTarGz(entries, 0, &bytes, &error));
  return bytes;
}

Refusal Refused(const std::string& bytes, std::vector<const Ed25519Key*> trusted) {
  OpenedBundle opened;
  Refusal refusal;
  CHECK_FALSE(OpenBundle(bytes, trusted, ArchiveLimits{}, &opened, &refusal));
  return refusal;
}

TEST_CASE("bundle: the same input gives the same bytes") {
  Keys keys;
  ScratchDir policy;
  policy.CopyDefaultPolicy();
  const std::string a = Build(policy.str(), keys.signing.get());
  const std::string b = Build(policy.str(), keys.signing.get());
  CHECK(a == b);
  // gzip header: no timestamp (bytes 4-7), so the clock never enters the file.
  REQUIRE(a.size() > 10);
  CHECK(a.substr(4, 4) == std::string(4, '\0'));
  // A copy of the directory elsewhere, with other modification times, is the same.
  ScratchDir copy;
  copy.CopyDefaultPolicy();
  CHECK(Build(copy.str(), keys.signing.get()) == a);
  // Each input shows: creation time, revision, key, signed or not.
  CHECK(Build(policy.str(), keys.signing.get(), 1719835201) != a);
  CHECK(Build(policy.str(), keys.signing.get(), 1719835200, "rev-2") != a);
  CHECK(Build(policy.str(), keys.other_signing.get()) != a);
  CHECK(Build(policy.str(), nullptr) != a);
}

TEST_CASE("bundle: a signed bundle opens, unpacks and loads as the manifest's version") {
  Keys keys;
  ScratchDir policy;
  policy.CopyDefaultPolicy();
  policy.Write("tests/extra.yaml", "cases: []\n");  // tests are not bundled
  const std::string bytes = Build(policy.str(), keys.signing.get());
  OpenedBundle opened;
  Refusal refusal;
  REQUIRE_MESSAGE(OpenBundle(bytes, {keys.other_verifying.get(), keys.verifying.get()},
                             ArchiveLimits{}, &opened, &refusal),
                  refusal.message);
  CHECK(opened.signature_verified);
  CHECK(opened.key_id == keys.verifying->id());
  CHECK(opened.manifest.format == kFormat);
  CHECK(opened.manifest.created == "2024-07-01T12:00:00Z");
  CHECK(opened.manifest.revision == "rev-1");
  CHECK(opened.sha256 == Sha256Hex(bytes));
  for (const ArchiveEntry& f : opened.files) CHECK(f.name.rfind("tests/", 0) != 0);

  ScratchDir unpacked;
  std::string error;
  REQUIRE_MESSAGE(UnpackPolicy(opened, unpacked.str(), &error), error);
  auto loaded = LoadPolicy(unpacked.str());
  REQUIRE(loaded.ok());
  CHECK(loaded.value()->version == opened.manifest.policy_version);
  CHECK(LoadPolicy(policy.str()).value()->version == opened.manifest.policy_version);

  // The archive is a plain tar.gz: manifest first, then the signature, then the files.
  const auto entries = Entries(bytes);
  REQUIRE(entries.size() >= 3);
  CHECK(entries[0].name == "manifest.json");
  CHECK(entries[1].name == "signature.json");
  CHECK(entries[2].name.rfind("policy/", 0) == 0);
}

TEST_CASE("bundle: files that differ from the manifest are refused") {
  Keys keys;
  ScratchDir policy;
  policy.CopyDefaultPolicy();
  const std::string bytes = Build(policy.str(), keys.signing.get());
  const std::vector<const Ed25519Key*> trusted = {keys.verifying.get()};

  SUBCASE("a changed byte, same size") {
    auto entries = Entries(bytes);
    for (auto& e : entries) {
      if (e.name == "policy/platform.yaml") e.data[e.data.size() / 2] ^= 1;
    }
    const Refusal r = Refused(Repack(entries), trusted);
    CHECK(r.code == "bundle-file-mismatch");
    CHECK(r.message.find("`platform.yaml` does not match the manifest") != std::string::npos);
  }
  SUBCASE("a file missing") {
    auto entries = Entries(bytes);
    std::erase_if(entries, [](const ArchiveEntry& e) { return e.name == "policy/legal.yaml"; });
    const Refusal r = Refused(Repack(entries), trusted);
    CHECK(r.code == "bundle-file-mismatch");
    CHECK(r.message.find("`legal.yaml` is in the manifest but not in the archive") !=
          std::string::npos);
  }
  SUBCASE("a file added") {
    auto entries = Entries(bytes);
    entries.push_back({"policy/zz_extra.yaml", "rules: []\n"});
    const Refusal r = Refused(Repack(entries), trusted);
    CHECK(r.code == "bundle-file-mismatch");
    CHECK(r.message.find("`zz_extra.yaml` is in the archive but not in the manifest") !=
          std::string::npos);
  }
  SUBCASE("checked without trusted keys too") {
    auto entries = Entries(bytes);
    for (auto& e : entries) {
      if (e.name == "policy/registry/accounts.csv") e.data += "x";
    }
    CHECK(Refused(Repack(entries), {}).code == "bundle-file-mismatch");
  }
}

TEST_CASE("bundle: signatures by other keys, forged or missing, are refused") {
  Keys keys;
  ScratchDir policy;
  policy.CopyDefaultPolicy();
  const std::vector<const Ed25519Key*> trusted = {keys.verifying.get()};

  SUBCASE("signed by another key") {
    const Refusal r = Refused(Build(policy.str(), keys.other_signing.get()), trusted);
    CHECK(r.code == "bundle-unknown-key");
    CHECK(r.message.find(keys.other_verifying->id()) != std::string::npos);
    CHECK(r.message.find(keys.verifying->id()) != std::string::npos);
  }
  SUBCASE("another key's signature under a trusted key's id") {
    auto entries = Entries(Build(policy.str(), keys.other_signing.get()));
    for (auto& e : entries) {
      if (e.name == "signature.json") {
        const auto at = e.data.find(keys.other_verifying->id());
        REQUIRE(at != std::string::npos);
        e.data.replace(at, keys.verifying->id().size(), keys.verifying->id());
      }
    }
    CHECK(Refused(Repack(entries), trusted).code == "bundle-bad-signature");
  }
  SUBCASE("the manifest changed after signing, files changed to match") {
    auto entries = Entries(Build(policy.str(), keys.signing.get()));
    for (auto& e : entries) {
      if (e.name == "manifest.json") {
        const auto at = e.data.find("rev-1");
        REQUIRE(at != std::string::npos);
        e.data.replace(at, 5, "rev-9");
      }
    }
    const Refusal r = Refused(Repack(entries), trusted);
    CHECK(r.code == "bundle-bad-signature");
    CHECK(r.message.find("manifest.json was changed after signing") != std::string::npos);
  }
  SUBCASE("unsigned") {
    const std::string unsigned_bundle = Build(policy.str(), nullptr);
    const Refusal r = Refused(unsigned_bundle, trusted);
    CHECK(r.code == "bundle-unsigned");
    // Without trusted keys an unsigned bundle is accepted (integrity still checked).
    OpenedBundle opened;
    Refusal none;
    CHECK(OpenBundle(unsigned_bundle, {}, ArchiveLimits{}, &opened, &none));
    CHECK(opened.key_id.empty());
    CHECK_FALSE(opened.signature_verified);
  }
}

TEST_CASE("bundle: truncated, corrupt and unsafe archives are refused") {
  Keys keys;
  ScratchDir policy;
  policy.CopyDefaultPolicy();
  const std::string bytes = Build(policy.str(), keys.signing.get());
  const std::vector<const Ed25519Key*> trusted = {keys.verifying.get()};

  for (size_t keep : {size_t{0}, size_t{10}, bytes.size() / 3, bytes.size() / 2,
                      bytes.size() - 40, bytes.size() - 1}) {
    CAPTURE(keep);
    CHECK(Refused(bytes.substr(0, keep), trusted).code == "bundle-corrupt");
  }
  CHECK(Refused("definitely not a tarball", trusted).code == "bundle-corrupt");
  // A flipped bit inside the compressed stream either breaks decompression or changes
  // a file's bytes (libarchive stops at tar's end marker, before gzip's CRC): refused
  // either way.
  for (size_t at : {size_t{20}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 30}) {
    CAPTURE(at);
    std::string flipped = bytes;
    flipped[at] ^= 0x40;
    const std::string code = Refused(flipped, trusted).code;
    CHECK((code == "bundle-corrupt" || code == "bundle-file-mismatch" ||
           code == "bundle-bad-signature" || code == "bundle-manifest"));
  }

  for (const char* name : {"policy/../escape.yaml", "/etc/passwd", "policy/sub/dir.yaml",
                           "policy/.hidden.yaml", "notes.txt"}) {
    CAPTURE(name);
    auto entries = Entries(bytes);
    entries.push_back({name, "x"});
    CHECK(Refused(Repack(entries), trusted).code == "bundle-corrupt");
  }
  auto entries = Entries(bytes);
  entries.push_back(entries[0]);  // a second manifest.json
  CHECK(Refused(Repack(entries), trusted).code == "bundle-corrupt");
  entries = Entries(bytes);
  entries.erase(entries.begin());
  CHECK(Refused(Repack(entries), trusted).code == "bundle-manifest");

  ArchiveLimits tight;
  tight.max_unpacked_bytes = 1000;
  OpenedBundle opened;
  Refusal refusal;
  CHECK_FALSE(OpenBundle(bytes, trusted, tight, &opened, &refusal));
  CHECK(refusal.code == "bundle-corrupt");
  CHECK(refusal.message.find("more than 1000 bytes") != std::string::npos);
}

TEST_CASE("bundle: which paths a bundle may carry") {
  CHECK(IsPolicyPath("platform.yaml"));
  CHECK(IsPolicyPath("registry/accounts.csv"));
  CHECK(IsPolicyPath("my-rules_2.yaml"));
  CHECK_FALSE(IsPolicyPath("../platform.yaml"));
  CHECK_FALSE(IsPolicyPath("registry/../x.csv"));
  CHECK_FALSE(IsPolicyPath("registry/accounts.yaml"));
  CHECK_FALSE(IsPolicyPath("tests/ads.yaml"));
  CHECK_FALSE(IsPolicyPath(".yaml"));
  CHECK_FALSE(IsPolicyPath(".hidden.yaml"));
  CHECK_FALSE(IsPolicyPath("platform.yml"));
  CHECK_FALSE(IsPolicyPath("a b.yaml"));
}

TEST_CASE("bundle: keys") {
  Keys keys;
  CHECK(keys.signing->id() == keys.verifying->id());
  CHECK(keys.signing->id() != keys.other_signing->id());
  CHECK(keys.signing->id().rfind("ed25519:", 0) == 0);
  CHECK(keys.signing->id().size() == 8 + 16);
  std::string error;
  // A key is never overwritten.
  CHECK(GenerateKeyPair(keys.dir.str() + "/a.key", keys.dir.str() + "/c.pub", &error).empty());
  CHECK(error.find("never overwritten") != std::string::npos);
  // A public key is not a private key, and the reverse.
  CHECK_FALSE(Ed25519Key::LoadPrivate(keys.dir.str() + "/a.pub", &error));
  CHECK_FALSE(Ed25519Key::LoadPublic(keys.dir.str() + "/missing.pub", &error));
  std::string sig;
  REQUIRE(keys.signing->Sign("hello", &sig, &error));
  CHECK(sig.size() == 64);
  CHECK(keys.verifying->Verify("hello", sig));
  CHECK_FALSE(keys.verifying->Verify("hellO", sig));
  CHECK_FALSE(keys.other_verifying->Verify("hello", sig));
  std::string decoded;
  CHECK(Base64Decode(Base64Encode(sig), &decoded));
  CHECK(decoded == sig);
  CHECK_FALSE(Base64Decode("abc", &decoded));
  CHECK_FALSE(Base64Decode("ab=c", &decoded));
}

}  // namespace
}  // namespace statemark::bundle
