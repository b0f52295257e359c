#include "engine/status.h"

#include <algorithm>
#include <fstream>
#include <tuple>

namespace statemark {

void Diagnostics::Error(SourceLocation at, std::string code, std::string message) {
  items_.push_back({Severity::kError, std::move(at), std::move(code), std::move(message)});
}

void Diagnostics::Warning(SourceLocation at, std::string code, std::string message) {
  items_.push_back({Severity::kWarning, std::move(at), std::move(code), std::move(message)});
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  return static_cast<size_t>(
      std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) { return d.is_error(); }));
}

void Diagnostics::Sort() {
  auto key = [](const Diagnostic& d) {
    return std::tie(d.location.file, d.location.line, d.location.column, d.code, d.message);
  };
  std::stable_sort(items_.begin(), items_.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  items_.erase(std::unique(items_.begin(), items_.end(),
                           [&](const Diagnostic& a, const Diagnostic& b) {
                             return key(a) == key(b) && a.severity == b.severity;
                           }),
               items_.end());
}

namespace {

// Returns line `line` (1-based) of `file`, or nothing if it cannot be read.
std::optional<std::string> ReadSourceLine(const std::string& file, int line) {
  if (file.empty() || line <= 0) return std::nullopt;
  std::ifstream in(file);
  std::string text;
  for (int i = 1; std::getline(in, text); ++i) {
    if (i == line) return text;
  }
  return std::nullopt;
}

}  // namespace

std::string RenderDiagnostic(const Diagnostic& d) {
  std::string out;
  if (!d.location.file.empty()) {
    out += d.location.file;
    if (d.location.line > 0) {
      out += ":" + std::to_string(d.location.line);
      if (d.location.column > 0) out += ":" + std::to_string(d.location.column);
    }
    out += ": ";
  }
  out += d.is_error() ? "error[" : "warning[";
  out += d.code + "]: " + d.message + "\n";
  if (auto source = ReadSourceLine(d.location.file, d.location.line)) {
    // A long line (minified YAML, a CSV row of megabytes) is shown as a window around
    // the column, cut at character boundaries, so that one diagnostic stays one screen.
    constexpr size_t kWindow = 400;
    const size_t column = d.location.column > 0 ? static_cast<size_t>(d.location.column - 1) : 0;
    size_t begin = 0, end = source->size();
    if (source->size() > kWindow) {
      begin = std::min(column > kWindow / 2 ? column - kWindow / 2 : 0, source->size() - kWindow);
      end = begin + kWindow;
      auto continuation = [&](size_t i) {
        return i < source->size() && (static_cast<unsigned char>((*source)[i]) & 0xC0) == 0x80;
      };
      while (continuation(begin)) ++begin;
      while (continuation(end)) ++end;
    }
    const std::string lead = begin > 0 ? "\u2026" : "";
    out += "  " + lead + source->substr(begin, end - begin) + (end < source->size() ? "\u2026" : "") + "\n";
    if (d.location.column > 0) {
      std::string pad = begin > 0 ? " " : "";
      // Keep tabs so the caret lines up under tab-indented text.
      for (size_t i = begin; i < column && i < end; ++i) {
        pad += (*source)[i] == '\t' ? '\t' : ' ';
      }
      out += "  " + pad + "^\n";
    }
  }
  return out;
}

std::string RenderDiagnostics(const Diagnostics& ds) {
  std::string out;
  for (const Diagnostic& d : ds.items()) out += RenderDiagnostic(d);
  return out;
}

}  // namespace statemark
