// Ed25519 keys for signing and verifying bundle manifests, through OpenSSL.
//
// Keys are PEM files as OpenSSL writes them: the private key as PKCS#8
// (`openssl genpkey -algorithm ed25519 -out signing.key`), the public key as
// SubjectPublicKeyInfo (`openssl pkey -in signing.key -pubout -out signing.pub`).
// GenerateKeyPair writes the same two files.
//
// A key's id is `ed25519:` followed by the first 16 hex digits of the SHA-256 of its
// 32 raw public-key bytes. A signature names the id of the key that made it, so a
// verifier can say "signed by another key" rather than only "bad signature"; the id
// is a name, never trusted on its own (the signature is always checked).
//
// Ed25519 signatures are deterministic: the same key and manifest give the same
// signature, so signed bundles are reproducible too.
//
// Thread safety: a loaded key may be used from several threads at once.
#ifndef STATEMARK_BUNDLE_SIGNING_H_
#define STATEMARK_BUNDLE_SIGNING_H_

#include <memory>
#include <string>
#include <string_view>

namespace statemark::bundle {

class Ed25519Key {
 public:
  // Reads a private key (for signing) from a PEM file. Null with *error on failure.
  static std::unique_ptr<Ed25519Key> LoadPrivate(const std::string& path, std::string* error);
  // Reads a public key (for verifying) from a PEM file. Null with *error on failure.
  static std::unique_ptr<Ed25519Key> LoadPublic(const std::string& path, std::string* error);

  ~Ed25519Key();
  Ed25519Key(const Ed25519Key&) = delete;
  Ed25519Key& operator=(const Ed25519Key&) = delete;

  const std::string& id() const { return id_; }
  const std::string& path() const { return path_; }
  bool has_private() const { return has_private_; }

  // The 64-byte signature of `message`. REQUIRES: has_private().
  bool Sign(std::string_view message, std::string* signature, std::string* error) const;
  // Whether `signature` is this key's signature of `message`.
  bool Verify(std::string_view message, std::string_view signature) const;

 private:
  struct Pkey;
  Ed25519Key(std::unique_ptr<Pkey> pkey, std::string path, bool has_private);

  std::unique_ptr<Pkey> pkey_;
  std::string path_;
  bool has_private_;
  std::string id_;
};

// Writes a new key pair: the private key to `private_path` (mode 0600, not
// overwriting an existing file) and the public key to `public_path`. Returns the
// key's id, or "" with *error.
std::string GenerateKeyPair(const std::string& private_path, const std::string& public_path,
                            std::string* error);

// Base64 (RFC 4648, with padding), for the signature in signature.json.
std::string Base64Encode(std::string_view bytes);
// False when `text` is not canonical base64.
bool Base64Decode(std::string_view text, std::string* bytes);

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

}  // namespace statemark::bundle

#endif  // STATEMARK_BUNDLE_SIGNING_H_
