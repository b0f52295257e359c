// Not API: use engine/loader.h.
//
// LoadRegistry reads a policy's registry, `<policy_dir>/registry/`:
//   accounts.csv  header `id`, then any of: a column per account attribute of the
//                 vocabulary (its name without `account.`), `<name>_effective_at` for a
//                 dated attribute, and the ignored `description` and `note`; in any order
//   listings.csv  header `list`, `account`, `parent_entity`, `entity_name`, `from`, `until`
//   domains.csv   header `account`, `pattern`
// Each file is optional, and a missing directory gives an empty registry.
//
// Cells: an empty cell is absent (Registry::kAbsent; the evaluator applies the
// attribute's default). Enums take a value of their domain, countries a code of the
// country domain, booleans `true` or `false`, strings anything (interned); set and
// instant attributes cannot be registry columns. Times take any form
// ParsePolicyInstant() accepts; an empty `_effective_at` means always, an empty `until`
// never ending. A listing names an account or a parent entity (then it applies to every
// account whose `parent_entity` is exactly that), and expands into per-account listings.
// A domain pattern is an RE2 pattern for a whole, lowercased host.
//
// Every problem is reported in `diags` with the file (`<policy_dir>/registry/accounts.csv`,
// joined as written), the 1-based line and byte column of the cell, and a stable code:
// bad-csv, io-error, unknown-column, duplicate-column, missing-column, unsupported-column,
// bad-row, missing-id, duplicate-account, unknown-value, bad-country, bad-bool, bad-time,
// unknown-list, unknown-account, bad-listing, empty-window, bad-regex, too-many-errors,
// and the warning unused-listing. A bad row or cell is skipped and loading goes on, so
// one run reports every problem (up to 100 errors per file); LoadRegistry always returns
// a registry, and the caller checks diags.has_errors() before using it.
//
// Thread safety: LoadRegistry may run on several threads at once (with separate diags).
#ifndef STATEMARK_ENGINE_INTERNAL_REGISTRY_LOADER_H_
#define STATEMARK_ENGINE_INTERNAL_REGISTRY_LOADER_H_

#include <re2/re2.h>
#include <re2/set.h>

#include <memory>
#include <string>

#include "engine/registry.h"
#include "engine/status.h"
#include "engine/vocabulary.h"

namespace statemark {

// Defined here so that both the loader, which builds it, and registry.cc, which runs
// it, see it; Registry declares it (privately) because RE2::Set cannot be forward-declared.
struct Registry::DomainSet {
  explicit DomainSet(const re2::RE2::Options& options) : set(options, re2::RE2::ANCHOR_BOTH) {}
  re2::RE2::Set set;
};

namespace internal {

std::shared_ptr<Registry> LoadRegistry(const std::string& policy_dir, const Vocabulary& vocab,
                                       Diagnostics& diags);

}  // namespace internal
}  // namespace statemark

#endif  // STATEMARK_ENGINE_INTERNAL_REGISTRY_LOADER_H_
