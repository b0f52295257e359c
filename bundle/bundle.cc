#include "bundle/bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "engine/instant.h"

namespace statemark::bundle {
namespace {

using json = nlohmann::ordered_json;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

bool IsPlainName(std::string_view name, std::string_view extension) {
  if (name.size() <= extension.size() || name.size() > 90 || name.front() == '.') return false;
  if (name.substr(name.size() - extension.size()) != extension) return false;
  return std::all_of(name.begin(), name.end(), IsNameChar);
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return false;
  *out = std::move(buffer).str();
  return true;
}

bool WriteNewFile(const std::string& path, std::string_view data, std::string* error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot create `" + path + "`: " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = "cannot write `" + path + "`: " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    *error = "cannot write `" + path + "`: " + std::strerror(errno);
    return false;
  }
  return true;
}

bool Refuse(Refusal* refusal, std::string code, std::string message) {
  refusal->code = std::move(code);
  refusal->message = std::move(message);
  return false;
}

// Parses manifest.json strictly: every key known, every type right.
bool ParseManifest(std::string_view text, Manifest* out, std::string* error) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "manifest.json is not a JSON object";
    return false;
  }
  const std::set<std::string> known = {"format", "policy_version", "created", "revision", "files"};
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) {
      *error = "manifest.json has an unknown key `" + key + "`";
      return false;
    }
  }
  auto text_field = [&](const char* key, std::string* field) {
    if (!j.contains(key) || !j[key].is_string()) {
      *error = std::string("manifest.json: `") + key + "` must be a string";
      return false;
    }
    *field = j[key].get<std::string>();
    return true;
  };
  if (!text_field("format", &out->format)) return false;
  if (out->format != kFormat) {
    *error = "manifest.json has format `" + out->format + "`; this server reads `" +
             std::string(kFormat) + "`";
    return false;
  }
  if (!text_field("policy_version", &out->policy_version) ||
      !text_field("created", &out->created)) {
    return false;
  }
  if (j.contains("revision") && j["revision"].is_string()) {
    out->revision = j["revision"].get<std::string>();
  } else if (j.contains("revision") && !j["revision"].is_null()) {
    *error = "manifest.json: `revision` must be a string or null";
    return false;
  }
  if (!j.contains("files") || !j["files"].is_array()) {
    *error = "manifest.json: `files` must be an array";
    return false;
  }
  out->files.clear();
  for (size_t i = 0; i < j["files"].size(); ++i) {
    const json& f = j["files"][i];
    const std::string where = "manifest.json: files[" + std::to_string(i) + "]";
    if (!f.is_object() || f.size() != 3 || !f.contains("path") || !f["path"].is_string() ||
        !f.contains("bytes") || !f["bytes"].is_number_unsigned() || !f.contains("sha256") ||
        !f["sha256"].is_string()) {
      *error = where + " must be {\"path\": string, \"bytes\": number, \"sha256\": string}";
      return false;
    }
    BundleFile file{f["path"].get<std::string>(), f["bytes"].get<uint64_t>(),
                    f["sha256"].get<std::string>()};
    if (!IsPolicyPath(file.path)) {
      *error = where + ".path `" + file.path + "` is not a policy file a bundle may carry";
      return false;
    }
    if (!out->files.empty() && !(out->files.back().path < file.path)) {
      *error = where + ".path `" + file.path + "` is out of order or repeated";
      return false;
    }
    out->files.push_back(std::move(file));
  }
  return true;
}

}  // namespace

bool IsPolicyPath(std::string_view path) {
  constexpr std::string_view kRegistry = "registry/";
  if (path.substr(0, kRegistry.size()) == kRegistry) {
    return IsPlainName(path.substr(kRegistry.size()), ".csv");
  }
  return IsPlainName(path, ".yaml");
}

std::string ManifestJson(const Manifest& m) {
  json files = json::array();
  for (const BundleFile& f : m.files) {
    files.push_back({{"path", f.path}, {"bytes", f.bytes}, {"sha256", f.sha256}});
  }
  const json j = {{"format", m.format},
                  {"policy_version", m.policy_version},
                  {"created", m.created},
                  {"revision", m.revision ? json(*m.revision) : json(nullptr)},
                  {"files", files}};
  return j.dump(2) + "\n";
}

bool BuildBundle(const BuildInput& input, std::string* bytes, Manifest* manifest,
                 std::string* error) {
  Manifest m;
  m.format = std::string(kFormat);
  m.policy_version = input.policy_version;
  m.created = FormatRfc3339(Instant{input.created_seconds * 1000000});
  m.revision = input.revision;
  std::vector<std::string> paths = input.files;
  std::sort(paths.begin(), paths.end());
  std::vector<ArchiveEntry> policy_entries;
  for (const std::string& path : paths) {
    if (!IsPolicyPath(path)) {
      *error = "`" + path +
               "`: a bundle carries only `NAME.yaml` and `registry/NAME.csv` with names of "
               "letters, digits, `.`, `_` and `-`; rename the file";
      return false;
    }
    std::string data;
    if (!ReadFile(input.policy_dir + "/" + path, &data)) {
      *error = "cannot read `" + input.policy_dir + "/" + path + "`";
      return false;
    }
    m.files.push_back({path, data.size(), Sha256Hex(data)});
    policy_entries.push_back({std::string(kPolicyPrefix) + path, std::move(data)});
  }
  std::vector<ArchiveEntry> entries;
  entries.push_back({std::string(kManifestName), ManifestJson(m)});
  if (input.signing_key != nullptr) {
    std::string signature;
    if (!input.signing_key->Sign(entries[0].data, &signature, error)) return false;
    const json sig = {{"algorithm", "ed25519"},
                      {"key_id", input.signing_key->id()},
                      {"signature", Base64Encode(signature)}};
    entries.push_back({std::string(kSignatureName), sig.dump(2) + "\n"});
  }
  for (ArchiveEntry& e : policy_entries) entries.push_back(std::move(e));
  if (!WriteTarGz(entries, input.created_seconds, bytes, error)) return false;
  *manifest = std::move(m);
  return true;
}

bool OpenBundle(std::string_view bytes, const std::vector<const Ed25519Key*>& trusted,
                const ArchiveLimits& limits, OpenedBundle* out, Refusal* refusal) {
  *out = OpenedBundle{};
  out->sha256 = Sha256Hex(bytes);
  std::vector<ArchiveEntry> entries;
  std::string error;
  if (!ReadTarGz(bytes, limits, &entries, &error)) {
    return Refuse(refusal, "bundle-corrupt", "the bundle is not readable: " + error);
  }
  const ArchiveEntry* manifest = nullptr;
  const ArchiveEntry* signature = nullptr;
  std::map<std::string, const ArchiveEntry*> policy_files;
  for (const ArchiveEntry& e : entries) {
    const ArchiveEntry** slot = nullptr;
    if (e.name == kManifestName) {
      slot = &manifest;
    } else if (e.name == kSignatureName) {
      slot = &signature;
    } else if (e.name.rfind(kPolicyPrefix, 0) == 0 &&
               IsPolicyPath(std::string_view(e.name).substr(kPolicyPrefix.size()))) {
      if (!policy_files.emplace(e.name.substr(kPolicyPrefix.size()), &e).second) {
        return Refuse(refusal, "bundle-corrupt", "the archive holds `" + e.name + "` twice");
      }
      continue;
    } else {
      return Refuse(refusal, "bundle-corrupt",
                    "the archive holds `" + e.name +
                        "`, which is neither the manifest, the signature nor a policy file");
    }
    if (*slot != nullptr) {
      return Refuse(refusal, "bundle-corrupt", "the archive holds `" + e.name + "` twice");
    }
    *slot = &e;
  }
  if (manifest == nullptr) {
    return Refuse(refusal, "bundle-manifest", "the bundle has no manifest.json");
  }
  out->manifest_bytes = manifest->data;

  // The signature first: nothing the manifest says is believed before it is verified.
  if (signature != nullptr) {
    const json sig = json::parse(signature->data, nullptr, false);
    if (sig.is_discarded() || !sig.is_object() || !sig.contains("key_id") ||
        !sig["key_id"].is_string() || !sig.contains("signature") ||
        !sig["signature"].is_string() || sig.value("algorithm", "") != "ed25519") {
      return Refuse(refusal, "bundle-bad-signature",
                    "signature.json is malformed: expected {\"algorithm\": \"ed25519\", "
                    "\"key_id\": string, \"signature\": base64}");
    }
    out->key_id = sig["key_id"].get<std::string>();
    if (!trusted.empty()) {
      const Ed25519Key* key = nullptr;
      std::string trusted_ids;
      for (const Ed25519Key* k : trusted) {
        if (k->id() == out->key_id) key = k;
        trusted_ids += (trusted_ids.empty() ? "" : ", ") + k->id();
      }
      if (key == nullptr) {
        return Refuse(refusal, "bundle-unknown-key",
                      "the bundle is signed by key " + out->key_id +
                          ", which is not a trusted key (trusted: " + trusted_ids + ")");
      }
      std::string raw;
      if (!Base64Decode(sig["signature"].get<std::string>(), &raw) || raw.size() != 64 ||
          !key->Verify(manifest->data, raw)) {
        return Refuse(refusal, "bundle-bad-signature",
                      "the signature by " + out->key_id +
                          " does not verify: manifest.json was changed after signing, or "
                          "the signature is damaged");
      }
      out->signature_verified = true;
    }
  } else if (!trusted.empty()) {
    return Refuse(refusal, "bundle-unsigned",
                  "the bundle is not signed, and only bundles signed by a trusted key "
                  "(--verify-key) are accepted; sign it with `statemark bundle --sign KEY`");
  }

  if (!ParseManifest(manifest->data, &out->manifest, &error)) {
    return Refuse(refusal, "bundle-manifest", error);
  }
  for (const BundleFile& f : out->manifest.files) {
    auto it = policy_files.find(f.path);
    if (it == policy_files.end()) {
      return Refuse(refusal, "bundle-file-mismatch",
                    "`" + f.path + "` is in the manifest but not in the archive");
    }
    const std::string& data = it->second->data;
    if (data.size() != f.bytes || Sha256Hex(data) != f.sha256) {
      return Refuse(refusal, "bundle-file-mismatch",
                    "`" + f.path + "` does not match the manifest: it has " +
                        std::to_string(data.size()) + " bytes with sha256 " + Sha256Hex(data) +
                        ", the manifest says " + std::to_string(f.bytes) + " bytes with sha256 " +
                        f.sha256);
    }
    out->files.push_back({f.path, data});
    policy_files.erase(it);
  }
  if (!policy_files.empty()) {
    return Refuse(refusal, "bundle-file-mismatch",
                  "`" + policy_files.begin()->first + "` is in the archive but not in the manifest");
  }
  return true;
}

bool UnpackPolicy(const OpenedBundle& bundle, const std::string& dir, std::string* error) {
  bool made_registry = false;
  for (const ArchiveEntry& f : bundle.files) {
    if (!IsPolicyPath(f.name)) {  // OpenBundle checked; a second guard costs nothing
      *error = "refusing to write `" + f.name + "`";
      return false;
    }
    if (f.name.rfind("registry/", 0) == 0 && !made_registry) {
      const std::string registry = dir + "/registry";
      if (::mkdir(registry.c_str(), 0755) != 0) {
        *error = "cannot create `" + registry + "`: " + std::strerror(errno);
        return false;
      }
      made_registry = true;
    }
    if (!WriteNewFile(dir + "/" + f.name, f.data, error)) return false;
  }
  return true;
}

}  // namespace statemark::bundle
