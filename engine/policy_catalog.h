// Policy catalog: what a loaded policy holds, as JSON for people to browse.
//
// The rules with their layer, description, window and source place; the registry's
// accounts with every attribute and sanctions listing; and the vocabulary values a
// request may use (countries with their names, topics, the values of each enumerated
// attribute). The policy playground (server/playground.h) serves these; they carry
// no decision logic. Output is deterministic: rules by id, accounts in registry
// order, values in declared order.
//
// Thread safety: pure; the policy is read only.
#ifndef STATEMARK_ENGINE_POLICY_CATALOG_H_
#define STATEMARK_ENGINE_POLICY_CATALOG_H_

#include <nlohmann/json.hpp>
#include <string>

#include "engine/compiled_policy.h"

namespace statemark {

// {"rules": [{"id", "layer", "mode", "description", "note", "basis", "applies_to",
//   "from", "until", "window", "lifts", "file", "line"}], "windows": [{"name","from","until"}]}
// A window end that is open is null.
nlohmann::ordered_json RulesCatalogJson(const Policy& policy);

// {"accounts": [{"id", "attributes": {"affiliation": "state_controlled_media", ...},
//   "effective_at": {"integrity_status": "..."}, "listings": [{"list", "entity_name",
//   "from", "until"}]}]}. Absent attributes are left out.
nlohmann::ordered_json RegistryCatalogJson(const Policy& policy);

// {"countries": [{"code", "name"}], "attributes": [{"name", "type", "values", "default",
//   "open"}], "surfaces", "levels", "placements", "labels", "sanctions_lists", "groups"}
nlohmann::ordered_json VocabularyCatalogJson(const Vocabulary& vocabulary);

// The text of one of the policy's YAML files (`relative` as in Policy::files, registry
// files excluded), read from the policy's directory. Returns false when the policy has
// no such file or it cannot be read. *same_as_loaded tells whether the bytes on disk
// are still those the policy was loaded from (their sha256 matches).
bool ReadPolicySource(const Policy& policy, const std::string& relative, std::string* text,
                      bool* same_as_loaded);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_POLICY_CATALOG_H_
