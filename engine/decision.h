// Decision: what the engine answers for one request.
//
// Evaluate() fills a caller-owned Decision without allocating: every list has a
// fixed capacity. The JSON form (decision_json.h) is the public contract; this struct
// is its in-memory source. A Decision is meaningful only with the CompiledPolicy and
// Request that produced it (it holds indexes into both).
//
// How effects combine (written once, in combine.cc; see docs/reference.md):
//   surfaces      the most restrictive level per surface wins
//   labels        collect, de-duplicated by (label, text); placements are filtered by the
//                 request kind; nothing renders when every surface is withheld
//   notice        from the rule that decided a surface's level; the highest layer wins
//   friction      collect; none when every surface is withheld
//   monetization  the most restrictive value wins
//   ads           allowed = targets ∩ every matching rule's allowed set; each denied
//                 country names every rule that denied it
//   rules         the enforcing rules that decided some part of the decision, and the
//                 exemptions that lifted a clause which would have changed it; by id
#ifndef STATEMARK_ENGINE_DECISION_H_
#define STATEMARK_ENGINE_DECISION_H_

#include <array>
#include <cstdint>

#include "engine/instant.h"
#include "engine/policy.h"
#include "engine/value_set.h"

namespace statemark {

inline constexpr int kMaxSurfaces = 16;
inline constexpr int kMaxAppliedClauses = 256;
inline constexpr int kMaxRenderedLabels = 32;
inline constexpr uint16_t kNoCountry = 0xFFFF;

// A clause (a rule's `then`, or one of its cases) that matched and was not lifted.
struct AppliedClause {
  uint32_t clause = 0;
  Subject subject = Subject::kAccount;
  int32_t account = -1;             // registry index of the subject, -1 if not registered
  uint16_t state = kNoCountry;      // the subject's affiliated state
  // Countries named through account attributes in the clause's ads effect
  // (`allow_only: [account.affiliated_state]`), resolved for this subject.
  std::array<uint16_t, 2> ad_countries = {kNoCountry, kNoCountry};
};

// An exemption that lifted a clause which would otherwise have applied. When several
// exemptions lift the same clause, each has its own Lift.
struct Lift {
  uint32_t exemption_rule = 0;
  uint32_t clause = 0;
  Subject subject = Subject::kAccount;
  int32_t account = -1;
  uint16_t state = kNoCountry;  // as in AppliedClause: what the clause would have used
  std::array<uint16_t, 2> ad_countries = {kNoCountry, kNoCountry};
};

struct RenderedLabel {
  uint16_t label = 0;
  uint16_t state = kNoCountry;
  uint32_t placements = 0;  // bit per placement index
};

struct Decision {
  Instant time;
  bool is_ad = false;
  std::array<uint8_t, kMaxSurfaces> levels{};
  bool withheld = false;      // every surface at or above the withheld level
  int notice = -1;            // notice index
  uint32_t friction = 0;      // bit per friction index
  int monetization = 0;
  ValueSet ad_allowed;        // targets that survive (ad requests)

  std::array<RenderedLabel, kMaxRenderedLabels> labels;
  int label_count = 0;

  std::array<AppliedClause, kMaxAppliedClauses> applied;  // enforcing clauses
  int applied_count = 0;
  std::array<Lift, kMaxAppliedClauses> lifts;
  int lift_count = 0;
  std::array<AppliedClause, kMaxAppliedClauses> shadow;   // clauses of shadow rules
  int shadow_count = 0;

  std::array<uint32_t, kMaxAppliedClauses> rules;  // rule indexes, sorted by id
  int rule_count = 0;

  // More clauses matched than the fixed capacity holds. The decision is then
  // incomplete and callers must report an error rather than use it.
  bool overflow = false;
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_DECISION_H_
