// Policy bundles: one file that carries a reviewed policy to every server.
//
// A bundle is a gzip-compressed ustar archive (archive.h) holding, in this order:
//   manifest.json    what the bundle holds (below)
//   signature.json   optional: the Ed25519 signature of manifest.json's exact bytes
//   policy/<path>    each policy file, in order of path
// The policy files are exactly those that make up the policy version: the
// top-level `*.yaml` files and `registry/*.csv` (docs/reference.md, section 1). The
// policy's own `tests/` stay out: they do not change the version, the server never
// reads them, and they are run before bundling (`statemark test`), not on every server.
//
// manifest.json:
//   {"format": "statemark-bundle/1",
//    "policy_version": "sha256:...",      the version the files load as
//    "created": "2024-07-01T12:00:00Z",   an input, never the clock (reproducible)
//    "revision": "4f2a9c1" | null,        the source revision, as given
//    "files": [{"path": "countries.yaml", "bytes": 1834, "sha256": "..."}, ...]}
// signature.json:
//   {"algorithm": "ed25519", "key_id": "ed25519:0123456789abcdef", "signature": "<base64>"}
//
// The signature covers the manifest and the manifest covers every file by its
// SHA-256, so checking one signature and the files' digests checks the whole bundle.
// The same directory, creation time, revision and key give the same bytes.
//
// Thread safety: pure functions.
#ifndef STATEMARK_BUNDLE_BUNDLE_H_
#define STATEMARK_BUNDLE_BUNDLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/archive.h"
#include "bundle/signing.h"

namespace statemark::bundle {

inline constexpr std::string_view kFormat = "statemark-bundle/1";
inline constexpr std::string_view kManifestName = "manifest.json";
inline constexpr std::string_view kSignatureName = "signature.json";
inline constexpr std::string_view kPolicyPrefix = "policy/";

struct BundleFile {
  std::string path;  // relative to the policy directory: `platform.yaml`, `registry/accounts.csv`
  uint64_t bytes = 0;
  std::string sha256;  // lowercase hex
};

struct Manifest {
  std::string format;
  std::string policy_version;
  std::string created;                  // RFC 3339, UTC, whole seconds
  std::optional<std::string> revision;  // absent when not given
  std::vector<BundleFile> files;        // sorted by path, unique
};

// The manifest's bytes, as signed: two-space indented JSON and a final newline.
std::string ManifestJson(const Manifest& manifest);

// Whether `path` may be a policy file in a bundle: `NAME.yaml` or `registry/NAME.csv`,
// NAME of letters, digits, `.`, `_` and `-`, not starting with `.`. Anything else
// (`..`, absolute paths, other folders) is refused on both sides.
bool IsPolicyPath(std::string_view path);

struct BuildInput {
  std::string policy_dir;
  // The loaded policy's version and files (Policy::version, Policy::files paths).
  std::string policy_version;
  std::vector<std::string> files;
  int64_t created_seconds = 0;  // Unix seconds
  std::optional<std::string> revision;
  const Ed25519Key* signing_key = nullptr;  // null: unsigned
};

// Packs the files into a bundle. Each file's digest is taken from the bytes packed.
// Returns false with *error when a file cannot be read or has a name a bundle cannot
// carry.
bool BuildBundle(const BuildInput& input, std::string* bytes, Manifest* manifest,
                 std::string* error);

// Why a bundle was refused. `code` is stable (docs/deployment.md):
//   bundle-corrupt         not a gzip'd tar, truncated, over the limits, or unsafe entries
//   bundle-manifest        manifest.json missing or malformed, or of another format
//   bundle-unsigned        no signature.json, and trusted keys are configured
//   bundle-unknown-key     signed by a key that is not trusted
//   bundle-bad-signature   the signature does not verify: the manifest was changed
//                          after signing, or the signature is damaged
//   bundle-file-mismatch   a file's bytes differ from its manifest entry, or a file is
//                          missing from the archive or not in the manifest
struct Refusal {
  std::string code;
  std::string message;
};

struct OpenedBundle {
  Manifest manifest;
  std::string manifest_bytes;
  std::string key_id;       // the key that signed it ("" when unsigned)
  bool signature_verified = false;
  std::vector<ArchiveEntry> files;  // names relative to the policy directory, manifest order
  std::string sha256;               // of the bundle file's bytes
};

// Reads and checks a bundle. With `trusted` non-empty the manifest must be signed by
// one of those keys; with it empty a signature is not required and not checked. The
// files must match the manifest either way. Returns false with *refusal.
bool OpenBundle(std::string_view bytes, const std::vector<const Ed25519Key*>& trusted,
                const ArchiveLimits& limits, OpenedBundle* out, Refusal* refusal);

// Writes the bundle's policy files under `dir` (which must exist and be empty), so
// that LoadPolicy(dir) loads them. Returns false with *error.
bool UnpackPolicy(const OpenedBundle& bundle, const std::string& dir, std::string* error);

}  // namespace statemark::bundle

#endif  // STATEMARK_BUNDLE_BUNDLE_H_
