// `statemark fmt [--check] [PATH...]`: the canonical layout of policy and test files.
//
// A PATH that is a directory stands for its `*.yaml` files and those of its `tests/`
// directory; a file stands for itself. Without PATH: `rules`. Without --check, files
// that are not canonical are rewritten in place (a temporary file beside them, then a
// rename, so a reader never sees half a file) and named on stdout. With --check nothing
// is written: each file that is not canonical is listed with its first differing line,
// and the exit status is 1. A file that cannot be formatted (invalid YAML, anchors...)
// is reported as `file:line:column: error[code]: message` and also gives status 1.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "cli/commands.h"
#include "engine/format.h"

namespace statemark::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: statemark fmt [--check] [PATH...]\n"
    "  PATH   a policy directory (its *.yaml and tests/*.yaml) or a file; default `rules`\n"
    "  --check  write nothing; list the files that are not canonical and exit 1\n";

std::vector<std::string> YamlFilesIn(const fs::path& dir) {
  std::vector<std::string> files;
  for (const fs::path& d : {dir, dir / "tests"}) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& entry : fs::directory_iterator(d, ec)) {
      if (entry.is_regular_file(ec) && entry.path().extension() == ".yaml") {
        files.push_back(entry.path().string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string LineOf(const std::string& text, int line) {
  std::istringstream in(text);
  std::string l;
  for (int i = 1; std::getline(in, l); ++i) {
    if (i == line) return l;
  }
  return "(end of file)";
}

// Writes `text` to `path` through a temporary file in the same directory and a rename,
// keeping the file's permissions.
bool WriteAtomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".fmt-tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::cerr << path << ": cannot write `" << temp << "`\n";
      std::error_code ignored;
      fs::remove(temp, ignored);
      return false;
    }
  }
  std::error_code ec;
  fs::permissions(temp, fs::status(path, ec).permissions(), ec);
  fs::rename(temp, path, ec);
  if (ec) {
    std::cerr << path << ": cannot replace the file: " << ec.message() << "\n";
    std::error_code ignored;
    fs::remove(temp, ignored);
    return false;
  }
  return true;
}

}  // namespace

int Fmt(const Args& args) {
  bool check = false;
  std::vector<std::string> paths;
  for (const std::string& a : args) {
    if (a == "--check") {
      check = true;
    } else if (a.rfind("--", 0) == 0) {
      std::cerr << "statemark fmt: unknown option `" << a << "`\n" << kUsage;
      return kExitUsage;
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) paths.push_back("rules");

  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found = YamlFilesIn(p);
      if (found.empty()) {
        std::cerr << "statemark fmt: `" << p << "` holds no .yaml file\n";
        return kExitUsage;
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::cerr << "statemark fmt: `" << p << "` is neither a file nor a directory\n";
      return kExitUsage;
    }
  }

  int failed = 0;
  int changed = 0;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (!in) {
      std::cerr << file << ": cannot read the file\n";
      ++failed;
      continue;
    }
    const std::string text = buffer.str();
    Result<std::string> formatted = FormatPolicyFile(file, text);
    if (!formatted.ok()) {
      std::cerr << RenderDiagnostics(formatted.diagnostics());
      ++failed;
      continue;
    }
    const int line = FirstDifferentLine(text, formatted.value());
    if (line == 0) continue;
    ++changed;
    if (check) {
      std::cout << file << ":" << line << ": not in canonical form (run `statemark fmt "
                << file << "`)\n"
                << "  is:        " << LineOf(text, line) << "\n"
                << "  canonical: " << LineOf(formatted.value(), line) << "\n";
    } else if (WriteAtomically(file, formatted.value())) {
      std::cout << "formatted " << file << "\n";
    } else {
      ++failed;
    }
  }
  if (check && changed > 0) {
    std::cout << changed << " of " << files.size() << " file(s) not in canonical form\n";
  }
  if (failed > 0) std::cerr << failed << " file(s) could not be formatted\n";
  return failed > 0 || (check && changed > 0) ? kExitFailed : kExitOk;
}

}  // namespace statemark::cli
