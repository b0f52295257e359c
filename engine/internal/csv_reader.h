// Not API: used by the registry loader (engine/internal/registry_loader.h).
//
// CsvReader: a streaming RFC 4180 reader. Cells are separated by `,` and rows by LF or
// CRLF; a cell may be quoted with `"`, and inside quotes `""` stands for one `"` and
// commas and line breaks are literal. The last row needs no line break. Bytes pass
// through unchanged (UTF-8 included); a UTF-8 byte order mark at the start of the input
// is skipped. A quote inside an unquoted cell and a lone CR are taken literally.
//
// Every cell carries the 1-based line and byte column of its first character (the
// opening quote of a quoted cell), so errors can point at it. Columns count bytes, as
// RenderDiagnostic does when it places its caret.
//
// Speed: the file is read in large blocks into one buffer; cells are string_views into
// that buffer (quoted cells are unescaped in place), so reading a row allocates nothing
// once the buffer and the caller's row vector have grown to fit. Memory is bounded by
// the longest row, not by the file.
//
// Thread safety: a reader is used by one thread at a time.
#ifndef STATEMARK_ENGINE_INTERNAL_CSV_READER_H_
#define STATEMARK_ENGINE_INTERNAL_CSV_READER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace statemark::internal {

struct CsvCell {
  std::string_view text;  // unquoted and unescaped; valid until the next NextRow()
  int line = 0;           // 1-based line of the cell's first character
  int column = 0;         // 1-based byte column of the cell's first character
  bool quoted = false;
};

struct CsvError {
  int line = 0;
  int column = 0;
  std::string message;  // house style: `unterminated quoted cell`
};

class CsvReader {
 public:
  // `buffer_bytes`: the first read size; the buffer grows to hold the longest row.
  explicit CsvReader(size_t buffer_bytes = size_t{1} << 20);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads from the file at `path`. Returns false, with the system's reason in `*error`,
  // if it cannot be opened; `*not_found` tells whether it does not exist.
  bool Open(const std::string& path, std::string* error, bool* not_found = nullptr);
  // Reads from a copy of `text` (for tests and small inputs).
  void OpenString(std::string_view text);

  // Reads the next row into `row` (cleared first). Returns false at the end of the
  // input, and on a syntax or read error, after which error() is set and the reader
  // stays at the end. An empty line is a row with one empty, unquoted cell.
  bool NextRow(std::vector<CsvCell>& row);

  const std::optional<CsvError>& error() const { return error_; }

  // The input size in bytes (-1 if unknown) and how many bytes the rows read so far
  // span; together they let a caller estimate the row count and reserve once.
  int64_t input_size() const { return input_size_; }
  int64_t offset() const { return base_ + static_cast<int64_t>(begin_); }

 private:
  enum class Parse { kRow, kEnd, kNeedMore, kError };
  Parse ParseRow(std::vector<CsvCell>& row);
  bool Refill();
  void SetError(int line, int column, std::string message);

  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buf_;
  size_t initial_capacity_;
  size_t capacity_ = 0;
  size_t begin_ = 0;  // first unread byte in buf_
  size_t end_ = 0;    // end of the data in buf_
  bool eof_ = false;  // nothing follows buf_[end_ - 1]
  bool at_start_ = true;
  int64_t base_ = 0;  // input offset of buf_[0]
  int64_t input_size_ = -1;
  int line_ = 1;                   // line of buf_[begin_]
  int64_t line_start_ = 0;         // input offset of the first byte of that line
  std::vector<uint32_t> escaped_;  // cells of the current row that hold `""`
  std::optional<CsvError> error_;
};

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_CSV_READER_H_
