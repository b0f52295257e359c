#include "bundle/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace statemark::bundle {
namespace {

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

std::string ArchiveError(archive* a, const std::string& what) {
  const char* text = archive_error_string(a);
  return what + (text != nullptr ? std::string(": ") + text : std::string());
}

// libarchive's callbacks for writing into a std::string.
la_ssize_t AppendToString(archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

}  // namespace

bool WriteTarGz(const std::vector<ArchiveEntry>& entries, int64_t mtime_seconds,
                std::string* out, std::string* error) {
  out->clear();
  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  if (!a || archive_write_set_format_ustar(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK ||
      // No timestamp in the gzip header: the same entries give the same bytes.
      archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr) != ARCHIVE_OK ||
      archive_write_set_filter_option(a.get(), "gzip", "compression-level", "9") != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open(a.get(), out, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    *error = ArchiveError(a.get(), "cannot start the archive");
    return false;
  }
  for (const ArchiveEntry& e : entries) {
    std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.data.size()));
    archive_entry_set_mtime(entry.get(), static_cast<time_t>(mtime_seconds), 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK ||
        (!e.data.empty() &&
         archive_write_data(a.get(), e.data.data(), e.data.size()) !=
             static_cast<la_ssize_t>(e.data.size()))) {
      *error = ArchiveError(a.get(), "cannot write `" + e.name + "` into the archive");
      return false;
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    *error = ArchiveError(a.get(), "cannot finish the archive");
    return false;
  }
  return true;
}

bool ReadTarGz(std::string_view bytes, const ArchiveLimits& limits,
               std::vector<ArchiveEntry>* out, std::string* error) {
  out->clear();
  std::unique_ptr<archive, ArchiveReadFree> a(archive_read_new());
  // Only the one container the writer produces: less of libarchive is reachable
  // from a downloaded file.
  if (!a || archive_read_support_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_tar(a.get()) != ARCHIVE_OK ||
      archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    *error = ArchiveError(a.get(), "not a gzip-compressed tar archive");
    return false;
  }
  if (archive_filter_code(a.get(), 0) != ARCHIVE_FILTER_GZIP) {
    *error = "not gzip-compressed";
    return false;
  }
  uint64_t total = 0;
  for (;;) {
    archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) {
      *error = ArchiveError(a.get(), "corrupt or truncated archive");
      return false;
    }
    const char* name = archive_entry_pathname(entry);
    const std::string entry_name = name != nullptr ? name : "";
    if (archive_entry_filetype(entry) != AE_IFREG) {
      *error = "archive entry `" + entry_name + "` is not a regular file";
      return false;
    }
    if (out->size() >= limits.max_entries) {
      *error = "the archive holds more than " + std::to_string(limits.max_entries) + " entries";
      return false;
    }
    const la_int64_t size = archive_entry_size(entry);
    if (size < 0 || static_cast<uint64_t>(size) > limits.max_unpacked_bytes - total) {
      *error = "the archive unpacks to more than " + std::to_string(limits.max_unpacked_bytes) +
               " bytes";
      return false;
    }
    total += static_cast<uint64_t>(size);
    ArchiveEntry e{entry_name, std::string(static_cast<size_t>(size), '\0')};
    size_t got = 0;
    while (got < e.data.size()) {
      const la_ssize_t n = archive_read_data(a.get(), e.data.data() + got, e.data.size() - got);
      if (n <= 0) {
        *error = ArchiveError(a.get(), "corrupt or truncated archive at `" + entry_name + "`");
        return false;
      }
      got += static_cast<size_t>(n);
    }
    out->push_back(std::move(e));
  }
  return true;
}

}  // namespace statemark::bundle
