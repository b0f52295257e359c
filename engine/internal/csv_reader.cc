#include "engine/internal/csv_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace statemark::internal {
namespace {

// Bytes that end an unquoted cell (a CR only when an LF follows; see ParseRow).
struct DelimiterTable {
  bool is[256] = {};
  constexpr DelimiterTable() {
    is[static_cast<unsigned char>(',')] = true;
    is[static_cast<unsigned char>('\n')] = true;
    is[static_cast<unsigned char>('\r')] = true;
  }
};
constexpr DelimiterTable kDelimiter;

std::string Printable(char c) {
  if (c == '\r') return "\\r";
  if (c == '\t') return "\\t";
  return std::string(1, c);
}

}  // namespace

CsvReader::CsvReader(size_t buffer_bytes) : initial_capacity_(std::max<size_t>(buffer_bytes, 1)) {}

CsvReader::~CsvReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool CsvReader::Open(const std::string& path, std::string* error, bool* not_found) {
  if (not_found != nullptr) *not_found = false;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (not_found != nullptr) *not_found = errno == ENOENT;
    *error = std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    *error = "is a directory";
    return false;
  }
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    *error = std::strerror(errno);
    return false;
  }
  std::setvbuf(file_, nullptr, _IONBF, 0);  // we buffer ourselves
  input_size_ = S_ISREG(st.st_mode) ? static_cast<int64_t>(st.st_size) : -1;
  capacity_ = initial_capacity_;
  buf_ = std::make_unique_for_overwrite<char[]>(capacity_);
  return true;
}

void CsvReader::OpenString(std::string_view text) {
  capacity_ = text.size() + 1;
  buf_ = std::make_unique_for_overwrite<char[]>(capacity_);
  std::memcpy(buf_.get(), text.data(), text.size());
  end_ = text.size();
  eof_ = true;
  input_size_ = static_cast<int64_t>(text.size());
}

void CsvReader::SetError(int line, int column, std::string message) {
  error_ = CsvError{line, column, std::move(message)};
  begin_ = end_;
  eof_ = true;
}

// Moves the unread bytes to the front of the buffer, growing it when they fill it, and
// appends what the file has next. Returns false on a read error.
bool CsvReader::Refill() {
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    base_ += static_cast<int64_t>(begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == capacity_) {
    size_t grown = capacity_ * 2;
    auto bigger = std::make_unique_for_overwrite<char[]>(grown);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    capacity_ = grown;
  }
  if (file_ == nullptr) {
    eof_ = true;
    return true;
  }
  size_t n = std::fread(buf_.get() + end_, 1, capacity_ - end_, file_);
  if (n == 0) {
    if (std::ferror(file_)) return false;
    eof_ = true;
  }
  end_ += n;
  return true;
}

// Parses one row starting at buf_[begin_]. If the buffer ends before the row does (and
// more input may follow), returns kNeedMore without consuming anything: the caller
// refills and parses the row again from its start. Nothing is written to the buffer
// until the row is complete, so a row can be parsed any number of times.
CsvReader::Parse CsvReader::ParseRow(std::vector<CsvCell>& row) {
  char* const buf = buf_.get();
  const char* p = buf + begin_;
  const char* const e = buf + end_;
  if (p == e) return eof_ ? Parse::kEnd : Parse::kNeedMore;
  row.clear();
  escaped_.clear();
  int line = line_;
  int64_t line_start = line_start_;
  auto offset = [&](const char* q) { return base_ + (q - buf); };

  for (;;) {
    CsvCell cell;
    cell.line = line;
    cell.column = static_cast<int>(offset(p) - line_start + 1);
    if (p < e && *p == '"') {
      cell.quoted = true;
      const char* q = p + 1;
      bool escapes = false;
      for (;;) {
        const char* r = static_cast<const char*>(std::memchr(q, '"', static_cast<size_t>(e - q)));
        const char* scan_end = r != nullptr ? r : e;
        // Line breaks inside the quotes still start new lines of the file.
        for (const char* n = q; n < scan_end; ++n) {
          n = static_cast<const char*>(std::memchr(n, '\n', static_cast<size_t>(scan_end - n)));
          if (n == nullptr) break;
          ++line;
          line_start = offset(n + 1);
        }
        if (r == nullptr) {
          if (!eof_) return Parse::kNeedMore;
          SetError(cell.line, cell.column, "unterminated quoted cell");
          return Parse::kError;
        }
        if (r + 1 == e && !eof_) return Parse::kNeedMore;  // `""` or the end?
        if (r + 1 < e && r[1] == '"') {
          escapes = true;
          q = r + 2;
          continue;
        }
        cell.text = std::string_view(p + 1, static_cast<size_t>(r - (p + 1)));
        p = r + 1;
        break;
      }
      if (escapes) escaped_.push_back(static_cast<uint32_t>(row.size()));
    } else {
      const char* q = p;
      for (;;) {
        while (q < e && !kDelimiter.is[static_cast<unsigned char>(*q)]) ++q;
        // A CR not followed by LF is cell content.
        if (q < e && *q == '\r') {
          if (q + 1 == e) {
            if (!eof_) return Parse::kNeedMore;
          } else if (q[1] != '\n') {
            ++q;
            continue;
          }
        }
        break;
      }
      cell.text = std::string_view(p, static_cast<size_t>(q - p));
      p = q;
    }
    row.push_back(cell);

    // At the end of the cell: a comma, a line break, or the end of the input.
    if (p == e) {
      if (!eof_) return Parse::kNeedMore;
      break;
    }
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p == '\n' || (*p == '\r' && p + 1 < e && p[1] == '\n')) {
      p += *p == '\r' ? 2 : 1;
      ++line;
      line_start = offset(p);
      break;
    }
    if (*p == '\r' && p + 1 == e) {
      if (!eof_) return Parse::kNeedMore;
      ++p;  // a final lone CR ends the input
      break;
    }
    // Only a quoted cell can stop anywhere else.
    SetError(line, static_cast<int>(offset(p) - line_start + 1),
             "unexpected `" + Printable(*p) + "` after the closing quote of a cell");
    return Parse::kError;
  }

  begin_ = static_cast<size_t>(p - buf);
  line_ = line;
  line_start_ = line_start;
  // The row is complete and will not be parsed again: unescape `""` in place.
  for (uint32_t i : escaped_) {
    CsvCell& cell = row[i];
    char* w = buf + (cell.text.data() - buf);
    const char* r = w;
    const char* end = cell.text.data() + cell.text.size();
    char* start = w;
    while (r < end) {
      char c = *r++;
      *w++ = c;
      if (c == '"') ++r;  // skip the second quote of the pair
    }
    cell.text = std::string_view(start, static_cast<size_t>(w - start));
  }
  return Parse::kRow;
}

bool CsvReader::NextRow(std::vector<CsvCell>& row) {
  row.clear();
  if (error_) return false;
  if (buf_ == nullptr) return false;  // never opened
  for (;;) {
    if (at_start_) {
      // Skip a UTF-8 byte order mark; columns still count its bytes, like the file does.
      if (end_ - begin_ < 3 && !eof_) {
        if (!Refill()) {
          SetError(line_, 0, "read error");
          return false;
        }
        continue;
      }
      at_start_ = false;
      if (end_ - begin_ >= 3 && std::memcmp(buf_.get() + begin_, "\xEF\xBB\xBF", 3) == 0) {
        begin_ += 3;
      }
    }
    switch (ParseRow(row)) {
      case Parse::kRow:
        return true;
      case Parse::kEnd:
      case Parse::kError:
        row.clear();
        return false;
      case Parse::kNeedMore:
        if (!Refill()) {
          row.clear();
          SetError(line_, 0, "read error");
          return false;
        }
        break;
    }
  }
}

}  // namespace statemark::internal
