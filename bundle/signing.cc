#include "bundle/signing.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace statemark::bundle {

struct Ed25519Key::Pkey {
  EVP_PKEY* key = nullptr;
  ~Pkey() { EVP_PKEY_free(key); }
};

namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string Hex(const unsigned char* data, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

std::string KeyId(EVP_PKEY* key) {
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1) return "";
  return "ed25519:" +
         Sha256Hex(std::string_view(reinterpret_cast<const char*>(raw), len)).substr(0, 16);
}

EVP_PKEY* ReadPem(const std::string& path, bool private_key, std::string* error) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    *error = "cannot open `" + path + "`: " + std::strerror(errno);
    return nullptr;
  }
  EVP_PKEY* key = private_key ? PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr)
                              : PEM_read_PUBKEY(f.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    *error = "`" + path + "` is not a PEM " +
             (private_key ? std::string("private key (PKCS#8)") : std::string("public key")) +
             "; make one with `statemark bundle keygen` (docs/deployment.md)";
    return nullptr;
  }
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    *error = "`" + path + "` holds a key of another type; bundles are signed with Ed25519";
    return nullptr;
  }
  return key;
}

}  // namespace

Ed25519Key::Ed25519Key(std::unique_ptr<Pkey> pkey, std::string path, bool has_private)
    : pkey_(std::move(pkey)), path_(std::move(path)), has_private_(has_private) {
  id_ = KeyId(pkey_->key);
}

Ed25519Key::~Ed25519Key() = default;

std::unique_ptr<Ed25519Key> Ed25519Key::LoadPrivate(const std::string& path, std::string* error) {
  EVP_PKEY* key = ReadPem(path, true, error);
  if (key == nullptr) return nullptr;
  auto pkey = std::make_unique<Pkey>();
  pkey->key = key;
  return std::unique_ptr<Ed25519Key>(new Ed25519Key(std::move(pkey), path, true));
}

std::unique_ptr<Ed25519Key> Ed25519Key::LoadPublic(const std::string& path, std::string* error) {
  EVP_PKEY* key = ReadPem(path, false, error);
  if (key == nullptr) return nullptr;
  auto pkey = std::make_unique<Pkey>();
  pkey->key = key;
  return std::unique_ptr<Ed25519Key>(new Ed25519Key(std::move(pkey), path, false));
}

bool Ed25519Key::Sign(std::string_view message, std::string* signature,
                      std::string* error) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  size_t len = sizeof sig;
  if (!has_private_ || !ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_->key) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    *error = "signing with `" + path_ + "` failed";
    return false;
  }
  signature->assign(reinterpret_cast<const char*>(sig), len);
  return true;
}

bool Ed25519Key::Verify(std::string_view message, std::string_view signature) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey_->key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string GenerateKeyPair(const std::string& private_path, const std::string& public_path,
                            std::string* error) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) {
    *error = "generating an Ed25519 key failed";
    return "";
  }
  std::unique_ptr<EVP_PKEY, PkeyFree> owner(key);
  // O_EXCL: never replace a signing key by accident.
  const int fd = ::open(private_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    *error = "cannot create `" + private_path + "`: " + std::strerror(errno) +
             (errno == EEXIST ? " (an existing key is never overwritten)" : "");
    return "";
  }
  std::unique_ptr<FILE, FileCloser> priv(fdopen(fd, "wb"));
  if (!priv || PEM_write_PrivateKey(priv.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    *error = "cannot write `" + private_path + "`";
    return "";
  }
  std::unique_ptr<FILE, FileCloser> pub(std::fopen(public_path.c_str(), "wb"));
  if (!pub || PEM_write_PUBKEY(pub.get(), key) != 1) {
    *error = "cannot write `" + public_path + "`";
    return "";
  }
  if (std::fflush(priv.get()) != 0 || std::fflush(pub.get()) != 0) {
    *error = "cannot write the key files";
    return "";
  }
  return KeyId(key);
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Base64Decode(std::string_view text, std::string* bytes) {
  if (text.empty() || text.size() % 4 != 0) return false;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock keeps the zero bytes that padding stands for; drop them.
  if (text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  // Canonical only: re-encoding must give the same text.
  if (Base64Encode(out) != text) return false;
  *bytes = std::move(out);
  return true;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return Hex(digest, len);
}

}  // namespace statemark::bundle
