// `statemark bundle`: pack a policy directory into a signed bundle, inspect one, or
// make a signing key pair. The format is in bundle/bundle.h; operations in
// docs/deployment.md.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "bundle/bundle.h"
#include "bundle/signing.h"
#include "cli/commands.h"
#include "cli/policy_loading.h"
#include "engine/instant.h"

namespace statemark::cli {
namespace {

constexpr const char* kBundleUsage =
    "usage: statemark bundle DIR -o FILE [--revision REV] [--created TIME] [--sign KEY]\n"
    "       statemark bundle inspect FILE [--verify-key PUB]...\n"
    "       statemark bundle keygen PRIVATE_KEY_FILE PUBLIC_KEY_FILE\n"
    "\n"
    "The creation time is --created (RFC 3339), else $SOURCE_DATE_EPOCH (Unix seconds),\n"
    "else 1970-01-01T00:00:00Z, so the same input always gives the same bytes.\n"
    "See docs/deployment.md.\n";

// Resolves the manifest's creation time (see the usage text). False with a message
// on stderr when the given value is malformed.
bool CreatedSeconds(const std::optional<std::string>& flag, int64_t* out) {
  if (flag) {
    InstantOrError t = ParseRfc3339(*flag);
    if (auto* reason = std::get_if<std::string>(&t)) {
      std::cerr << "statemark bundle: --created `" << *flag << "`: " << *reason
                << " (expected RFC 3339, e.g. 2024-07-01T12:00:00Z)\n";
      return false;
    }
    const int64_t micros = std::get<Instant>(t).micros;
    *out = micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
    return true;
  }
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
  if (epoch == nullptr || *epoch == '\0') {
    *out = 0;
    return true;
  }
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(epoch, &end, 10);
  if (errno != 0 || *end != '\0' || value < 0 || value > 253402300799LL) {
    std::cerr << "statemark bundle: SOURCE_DATE_EPOCH `" << epoch
              << "` is not a number of seconds since 1970\n";
    return false;
  }
  *out = value;
  return true;
}

// Writes `data` to `path` through a temporary file in the same directory and a
// rename, so a server publishing `path` never serves half a bundle.
bool WriteAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      std::cerr << "statemark bundle: cannot write `" << tmp << "`\n";
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::cerr << "statemark bundle: cannot rename `" << tmp << "` to `" << path << "`\n";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = std::move(buffer).str();
  return !in.bad();
}

int Keygen(const Args& args) {
  if (args.size() != 2) {
    std::cerr << kBundleUsage;
    return kExitUsage;
  }
  std::string error;
  const std::string id = bundle::GenerateKeyPair(args[0], args[1], &error);
  if (id.empty()) {
    std::cerr << "statemark bundle keygen: " << error << "\n";
    return kExitFailed;
  }
  std::cout << "key " << id << "\n  private: " << args[0] << " (keep secret; signs bundles)\n"
            << "  public:  " << args[1] << " (give to servers: --verify-key)\n";
  return kExitOk;
}

int Inspect(const Args& args_in) {
  Args args = args_in;
  bool bad = false;
  std::vector<std::unique_ptr<bundle::Ed25519Key>> keys;
  while (auto path = TakeFlag(&args, "--verify-key", &bad)) {
    std::string error;
    auto key = bundle::Ed25519Key::LoadPublic(*path, &error);
    if (!key) {
      std::cerr << "statemark bundle inspect: " << error << "\n";
      return kExitUsage;
    }
    keys.push_back(std::move(key));
  }
  if (bad || args.size() != 1) {
    std::cerr << kBundleUsage;
    return kExitUsage;
  }
  std::string bytes;
  if (!ReadWholeFile(args[0], &bytes)) {
    std::cerr << "statemark bundle inspect: cannot read `" << args[0] << "`\n";
    return kExitFailed;
  }
  std::vector<const bundle::Ed25519Key*> trusted;
  for (const auto& k : keys) trusted.push_back(k.get());
  bundle::OpenedBundle opened;
  bundle::Refusal refusal;
  if (!bundle::OpenBundle(bytes, trusted, bundle::ArchiveLimits{}, &opened, &refusal)) {
    std::cerr << args[0] << ": error[" << refusal.code << "]: " << refusal.message << "\n";
    return kExitFailed;
  }
  std::cout << opened.manifest_bytes;
  std::cout << "bundle sha256: " << opened.sha256 << "\n";
  if (opened.key_id.empty()) {
    std::cout << "signature: none\n";
  } else {
    std::cout << "signature: " << opened.key_id
              << (opened.signature_verified ? " (verified)" : " (not checked: no --verify-key)")
              << "\n";
  }
  return kExitOk;
}

int Pack(const Args& args_in) {
  Args args = args_in;
  bool bad = false;
  std::optional<std::string> out = TakeFlag(&args, "-o", &bad);
  if (!out) out = TakeFlag(&args, "--output", &bad);
  std::optional<std::string> revision = TakeFlag(&args, "--revision", &bad);
  std::optional<std::string> created = TakeFlag(&args, "--created", &bad);
  std::optional<std::string> sign = TakeFlag(&args, "--sign", &bad);
  if (bad || !out || args.size() != 1) {
    if (!out && !bad) std::cerr << "statemark bundle: -o FILE is required\n";
    std::cerr << kBundleUsage;
    return kExitUsage;
  }
  if (revision && (revision->empty() || revision->size() > 200)) {
    std::cerr << "statemark bundle: --revision must be 1 to 200 bytes\n";
    return kExitUsage;
  }
  int64_t created_seconds = 0;
  if (!CreatedSeconds(created, &created_seconds)) return kExitUsage;
  std::unique_ptr<bundle::Ed25519Key> key;
  if (sign) {
    std::string error;
    key = bundle::Ed25519Key::LoadPrivate(*sign, &error);
    if (!key) {
      std::cerr << "statemark bundle: " << error << "\n";
      return kExitUsage;
    }
  }
  const std::string& dir = args[0];
  // Only a policy that loads and compiles is bundled: a server can always serve it.
  auto compiled = LoadAndCompile(dir);
  if (!compiled) {
    std::cerr << "statemark bundle: not bundling `" << dir << "`: fix the errors above\n";
    return kExitFailed;
  }
  bundle::BuildInput input;
  input.policy_dir = dir;
  input.policy_version = compiled->version();
  for (const SourceFile& f : compiled->policy().files) input.files.push_back(f.path);
  input.created_seconds = created_seconds;
  input.revision = revision;
  input.signing_key = key.get();
  std::string bytes;
  bundle::Manifest manifest;
  std::string error;
  if (!bundle::BuildBundle(input, &bytes, &manifest, &error)) {
    std::cerr << "statemark bundle: " << error << "\n";
    return kExitFailed;
  }
  // The files are read twice (loaded, then packed); an edit in between would give a
  // manifest whose version does not describe its files.
  for (size_t i = 0; i < manifest.files.size(); ++i) {
    if (manifest.files[i].sha256 != compiled->policy().files[i].sha256) {
      std::cerr << "statemark bundle: `" << manifest.files[i].path
                << "` changed while it was being bundled; run the command again\n";
      return kExitFailed;
    }
  }
  if (!WriteAtomically(*out, bytes)) return kExitFailed;
  std::cerr << "bundled " << manifest.files.size() << " files of " << dir << " into " << *out
            << " (" << bytes.size() << " bytes)\n  policy_version " << manifest.policy_version
            << "\n  created " << manifest.created << "\n  revision "
            << (manifest.revision ? *manifest.revision : "(none)") << "\n  signed "
            << (key ? "by " + key->id() : std::string("no")) << "\n  sha256 "
            << bundle::Sha256Hex(bytes) << "\n";
  return kExitOk;
}

}  // namespace

int Bundle(const Args& args) {
  if (!args.empty() && args[0] == "keygen") return Keygen(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "inspect") return Inspect(Args(args.begin() + 1, args.end()));
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kBundleUsage;
    return kExitOk;
  }
  return Pack(args);
}

}  // namespace statemark::cli
