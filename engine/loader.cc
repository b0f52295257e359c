#include "engine/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/internal/registry_loader.h"
#include "engine/internal/rule_loader.h"
#include "engine/internal/sha256.h"
#include "engine/internal/spelling.h"
#include "engine/internal/vocabulary_loader.h"
#include "engine/internal/yaml_source.h"
#include "engine/request.h"

namespace statemark {
namespace {

namespace fs = std::filesystem;
using internal::YamlSource;

struct SourceText {
  std::string path;      // as reported in diagnostics: dir + "/" + relative
  std::string relative;  // relative to the policy directory
  std::string bytes;
};

// The policy's files: top-level *.yaml and registry/*.csv, sorted by relative path.
bool IsOverridableName(const std::string& name) {
  return name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0 &&
         name.find('/') == std::string::npos && name.find('\\') == std::string::npos &&
         name[0] != '.';
}

// Puts each override in place of the file of its name, or beside the others.
void ApplyOverrides(const std::string& dir, const std::vector<SourceOverride>& overrides,
                    const LoaderOptions& options, std::vector<SourceText>* sources,
                    Diagnostics* diags) {
  for (const SourceOverride& o : overrides) {
    const std::string path = dir + "/" + o.relative;
    if (!IsOverridableName(o.relative)) {
      diags->Error(SourceLocation{path, 0, 0}, "bad-file-name",
                   "`" + o.relative + "` is not a policy file name; give a top-level file "
                   "name ending in `.yaml`, such as `platform.yaml`");
      continue;
    }
    if (o.bytes.size() > options.max_file_bytes) {
      diags->Error(SourceLocation{path, 0, 0}, "file-too-large",
                   "file is " + std::to_string(o.bytes.size()) + " bytes; at most " +
                       std::to_string(options.max_file_bytes) + " are allowed");
      continue;
    }
    auto same = std::find_if(sources->begin(), sources->end(),
                             [&](const SourceText& s) { return s.relative == o.relative; });
    if (same != sources->end()) {
      same->bytes = o.bytes;
    } else {
      sources->push_back(SourceText{path, o.relative, o.bytes});
    }
  }
  std::sort(sources->begin(), sources->end(),
            [](const SourceText& a, const SourceText& b) { return a.relative < b.relative; });
}

std::vector<SourceText> ReadSources(const std::string& dir, const LoaderOptions& options,
                                    Diagnostics* diags) {
  std::vector<SourceText> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    diags->Error(SourceLocation{dir, 0, 0}, "no-policy", "`" + dir + "` is not a directory");
    return out;
  }
  auto add = [&](const fs::path& p, const std::string& relative) {
    SourceText s{dir + "/" + relative, relative, {}};
    std::error_code size_ec;
    auto size = fs::file_size(p, size_ec);
    if (size_ec) {
      diags->Error(SourceLocation{s.path, 0, 0}, "unreadable", "cannot read file: " + size_ec.message());
      return;
    }
    if (size > options.max_file_bytes) {
      diags->Error(SourceLocation{s.path, 0, 0}, "file-too-large",
                   "file is " + std::to_string(size) + " bytes; at most " +
                       std::to_string(options.max_file_bytes) + " are allowed");
      return;
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      diags->Error(SourceLocation{s.path, 0, 0}, "unreadable", "cannot read file");
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    s.bytes = text.str();
    out.push_back(std::move(s));
  };
  // The error_code overloads throughout: a file that vanishes or cannot be examined
  // mid-listing is reported (or skipped), never thrown.
  // A policy file that is there but cannot be read as a file (a dangling or looping
  // link, a directory named *.yaml) is an error: skipping it would silently serve the
  // policy without its rules.
  auto regular = [&](const fs::directory_entry& entry, const std::string& relative) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec)) return true;
    diags->Error(SourceLocation{dir + "/" + relative, 0, 0}, "unreadable",
                 type_ec ? "cannot read file: " + type_ec.message()
                         : "not a regular file; a policy file must be a file (or a link to one)");
    return false;
  };
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".yaml") continue;
    const std::string relative = it->path().filename().string();
    if (regular(*it, relative)) add(it->path(), relative);
  }
  if (ec) {
    diags->Error(SourceLocation{dir, 0, 0}, "unreadable", "cannot list the directory: " + ec.message());
    ec.clear();
  }
  // The registry is read by its own loader, which streams large files; here it is
  // only hashed into the policy version.
  const fs::path registry = fs::path(dir) / "registry";
  if (fs::is_directory(registry, ec)) {
    for (fs::directory_iterator it(registry, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().extension() == ".csv" &&
          regular(*it, "registry/" + it->path().filename().string())) {
        SourceText s{dir + "/registry/" + it->path().filename().string(),
                     "registry/" + it->path().filename().string(), {}};
        std::error_code size_ec;
        const auto size = it->file_size(size_ec);
        if (!size_ec && size > options.max_registry_file_bytes) {
          diags->Error(SourceLocation{s.path, 0, 0}, "file-too-large",
                       "file is " + std::to_string(size) + " bytes; at most " +
                           std::to_string(options.max_registry_file_bytes) + " are allowed");
          continue;
        }
        out.push_back(std::move(s));
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const SourceText& a, const SourceText& b) { return a.relative < b.relative; });
  return out;
}

std::string HashFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  internal::Sha256 h;
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    h.Update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  return h.HexDigest();
}

// The fact arrays have fixed capacities; say so at load time rather than fail later.
void CheckCapacity(const Vocabulary& v, Diagnostics* diags) {
  int request = 0, account = 0, sets = 0;
  for (const Attribute& a : v.attributes) {
    (a.scope == AttrScope::kAccount ? account : request)++;
    if (IsSetType(a.type)) ++sets;
  }
  auto check = [&](int n, int max, const char* what) {
    if (n > max) {
      diags->Error(SourceLocation{}, "vocabulary-too-large",
                   std::string("the vocabulary declares ") + std::to_string(n) + " " + what +
                       "; at most " + std::to_string(max) + " are supported");
    }
  };
  check(request, kMaxRequestAttributes, "request attributes");
  check(account, kMaxAccountAttributes, "account attributes");
  check(sets, kMaxSetAttributes, "set attributes");
}

// Sorts, and keeps the first `max_errors` errors (by place) and every warning, with a
// last line saying how many more there were.
Diagnostics Finish(Diagnostics diags, size_t max_errors) {
  diags.Sort();
  const size_t errors = diags.error_count();
  if (errors <= max_errors) return diags;
  Diagnostics out;
  size_t kept = 0;
  for (const Diagnostic& d : diags.items()) {
    if (d.is_error() && kept++ >= max_errors) continue;
    out.Add(d);
  }
  out.Error(SourceLocation{}, "too-many-errors",
            "found " + std::to_string(errors) + " errors; only the first " +
                std::to_string(max_errors) + " are shown");
  return out;
}

// Whether the vocabulary lacks a part that rules and registry are checked against
// (each lack is reported): every use of it would be reported as unknown too, burying the
// one error that matters.
bool FoundationMissing(const Vocabulary& v) {
  return v.domains.empty() || v.domains[kCountryDomain].values.empty() || v.surfaces.empty() ||
         v.levels.empty() || v.placements.empty();
}

void CheckTopLevelKeys(const YamlSource& src) {
  if (src.root.IsNull()) return;  // an empty file holds nothing, which is fine
  if (!src.ExpectMap(src.root, "the file")) return;
  src.CheckKeys(src.root, "the policy file", {"vocabulary", "countries", "rules"});
}

Result<std::shared_ptr<const Policy>> LoadPolicyOrThrow(
    const std::string& dir, const std::vector<SourceOverride>& overrides,
    const LoaderOptions& options, internal::YamlReader reader) {
  Diagnostics diags;
  std::vector<SourceText> sources = ReadSources(dir, options, &diags);
  if (!overrides.empty() && !sources.empty()) {
    ApplyOverrides(dir, overrides, options, &sources, &diags);
  }
  if (diags.has_errors() && sources.empty()) return Finish(std::move(diags), options.max_errors);
  std::vector<YamlSource> yaml;
  for (const SourceText& s : sources) {
    if (s.relative.rfind("registry/", 0) == 0) continue;
    if (auto parsed = internal::ParseYaml(s.path, s.bytes, &diags, reader)) {
      yaml.push_back(std::move(*parsed));
    }
  }
  // A file that could not be read or parsed may hold the vocabulary, or the rules that
  // others name: going on would bury its errors under every name it declares, each
  // reported as unknown. Report the errors of every file's syntax, and stop.
  if (diags.has_errors()) return Finish(std::move(diags), options.max_errors);
  for (const YamlSource& src : yaml) CheckTopLevelKeys(src);

  auto policy = std::make_shared<Policy>();
  policy->directory = dir;
  internal::BuildVocabulary(yaml, &diags, &policy->vocabulary);
  CheckCapacity(policy->vocabulary, &diags);
  if (diags.has_errors() && FoundationMissing(policy->vocabulary)) {
    return Finish(std::move(diags), options.max_errors);
  }

  std::shared_ptr<Registry> registry = internal::LoadRegistry(dir, policy->vocabulary, diags);
  std::vector<internal::ParsedRule> parsed = internal::ReadRules(
      yaml, policy->vocabulary, options, &registry->mutable_strings(), &policy->regexes);
  policy->rules = internal::CheckRuleSet(std::move(parsed), &diags);
  policy->registry = std::move(registry);

  internal::Sha256 version;
  for (const SourceText& s : sources) {
    std::string digest = s.bytes.empty() && s.relative.rfind("registry/", 0) == 0
                             ? HashFile(s.path)
                             : internal::Sha256Hex(s.bytes);
    policy->files.push_back(SourceFile{s.relative, digest});
    version.Update(s.relative);
    version.Update(std::string_view("\0", 1));
    version.Update(digest);
    version.Update(std::string_view("\n", 1));
  }
  policy->version = "sha256:" + version.HexDigest();

  diags = Finish(std::move(diags), options.max_errors);
  if (diags.has_errors()) return diags;
  return Result<std::shared_ptr<const Policy>>(std::shared_ptr<const Policy>(std::move(policy)),
                                               std::move(diags));
}

}  // namespace

Result<std::shared_ptr<const Policy>> LoadPolicy(const std::string& dir,
                                                 const LoaderOptions& options) {
  return LoadPolicyWithOverrides(dir, {}, options);
}

Result<std::shared_ptr<const Policy>> LoadPolicyWithOverrides(
    const std::string& dir, const std::vector<SourceOverride>& overrides,
    const LoaderOptions& options) {
  // Nothing may escape: whatever the input, the caller gets diagnostics. The loaders
  // check every node before they use it; this is the net should one slip through.
  //
  // The files are read with libyaml where it can vouch for the result (yaml_fast_reader.h)
  // and the policy is returned if nothing in them needs saying. A load with anything to
  // say about its YAML files (or an exception) is done again with yaml-cpp alone, whose
  // messages and positions are the reference: every diagnostic is the same as it would
  // be without the fast reader, whatever the two parsers make of odd input.
  try {
    auto fast = LoadPolicyOrThrow(dir, overrides, options, internal::YamlReader::kFastWhereSure);
    const std::string registry_prefix = dir + "/registry/";
    bool clean = true;
    for (const Diagnostic& d : fast.diagnostics().items()) {
      clean = clean && d.location.file.rfind(registry_prefix, 0) == 0;
    }
    if (clean) return fast;
  } catch (...) {
  }
  std::string what;
  try {
    return LoadPolicyOrThrow(dir, overrides, options, internal::YamlReader::kYamlCpp);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  Diagnostics diags;
  diags.Error(SourceLocation{dir, 0, 0}, "internal-error",
              "the loader failed on this policy (" + what + "); please report it");
  return diags;
}

}  // namespace statemark
