// Diagnostics and results.
//
// Every fallible engine function returns a Result<T> or a Diagnostics list; no
// exception crosses a public engine function. A Diagnostic names where (file, line,
// column, all 1-based), what (a stable code such as `unknown-field`), and a message
// in house style: lowercase, no trailing period, user input in backticks.
//
// Thread safety: plain values; safe to copy and share read-only.
#ifndef STATEMARK_ENGINE_STATUS_H_
#define STATEMARK_ENGINE_STATUS_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace statemark {

enum class Severity { kError, kWarning };

struct SourceLocation {
  std::string file;  // path as given to the loader; empty when not from a file
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
};

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string code;     // stable, kebab-case: `unknown-field`, `bad-country`, ...
  std::string message;  // one line, house style

  bool is_error() const { return severity == Severity::kError; }
};

// An ordered collection of diagnostics. Sort() orders by file, line, column, code,
// so the same input always reports in the same order.
class Diagnostics {
 public:
  void Add(Diagnostic d) { items_.push_back(std::move(d)); }
  void Error(SourceLocation at, std::string code, std::string message);
  void Warning(SourceLocation at, std::string code, std::string message);
  void Append(const Diagnostics& other);

  bool has_errors() const;
  size_t error_count() const;
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  void Sort();

 private:
  std::vector<Diagnostic> items_;
};

// `file:line:column: error[code]: message`, followed (when the file can be read)
// by the source line and a caret under the column.
std::string RenderDiagnostic(const Diagnostic& d);
std::string RenderDiagnostics(const Diagnostics& ds);

// A value or the diagnostics that explain why there is none. A Result that holds a
// value may still carry warnings.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor): ergonomic returns
  Result(Diagnostics diagnostics) : diagnostics_(std::move(diagnostics)) {}  // NOLINT(google-explicit-constructor)
  Result(T value, Diagnostics warnings)
      : value_(std::move(value)), diagnostics_(std::move(warnings)) {}

  bool ok() const { return value_.has_value(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  std::optional<T> value_;
  Diagnostics diagnostics_;
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_STATUS_H_
