// Reading and writing the bundle's container: a gzip-compressed POSIX ustar archive,
// through libarchive.
//
// Writing is reproducible: entries are written in the order given, each a regular
// file with mode 0644, owner and group 0 with no names, and one fixed modification
// time; the gzip header carries no timestamp and no file name. The same entries
// therefore give the same bytes (for one libarchive and zlib; see docs/deployment.md).
//
// Reading accepts only what writing produces: regular files in a gzip'd tar, within
// limits on entry count and unpacked size, and reports a truncated or corrupt archive
// instead of returning what it read so far.
//
// Thread safety: pure functions.
#ifndef STATEMARK_BUNDLE_ARCHIVE_H_
#define STATEMARK_BUNDLE_ARCHIVE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace statemark::bundle {

struct ArchiveEntry {
  std::string name;  // path inside the archive, `/`-separated, relative
  std::string data;
};

struct ArchiveLimits {
  // Most entries in one archive. Default: 10,000.
  size_t max_entries = 10000;
  // Most bytes of all entries together, unpacked. Default: 2 GiB.
  uint64_t max_unpacked_bytes = uint64_t{2} << 30;
};

// Writes `entries` as a .tar.gz into *out. Returns false with *error on failure.
bool WriteTarGz(const std::vector<ArchiveEntry>& entries, int64_t mtime_seconds,
                std::string* out, std::string* error);

// Reads every entry of the .tar.gz in `bytes`. Returns false with *error when the
// archive is corrupt, truncated, holds anything but regular files, or exceeds `limits`.
bool ReadTarGz(std::string_view bytes, const ArchiveLimits& limits,
               std::vector<ArchiveEntry>* out, std::string* error);

}  // namespace statemark::bundle

#endif  // STATEMARK_BUNDLE_ARCHIVE_H_
