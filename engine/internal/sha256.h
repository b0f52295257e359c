// Not API.
//
// SHA-256 through OpenSSL's EVP interface, as lowercase hex.
#ifndef STATEMARK_ENGINE_INTERNAL_SHA256_H_
#define STATEMARK_ENGINE_INTERNAL_SHA256_H_

#include <memory>
#include <string>
#include <string_view>

namespace statemark::internal {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // Finishes the hash; the object must not be updated afterwards.
  std::string HexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(std::string_view bytes);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_SHA256_H_
