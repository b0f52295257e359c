// Policy: the rules as written, after names have been resolved to indexes.
//
// A Policy is what the loader produces from a rules directory: the vocabulary, the
// rules and the account registry, plus the source files it came from. It is the input
// of the compiler and of the reference evaluator. Every node keeps its source
// location, so later stages (lint, explain) can point at the YAML that said it.
//
// Thread safety: immutable after loading; share it read-only.
#ifndef STATEMARK_ENGINE_POLICY_H_
#define STATEMARK_ENGINE_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "engine/instant.h"
#include "engine/registry.h"
#include "engine/status.h"
#include "engine/value_set.h"
#include "engine/vocabulary.h"

namespace statemark {

// Precedence, highest first. DO NOT REORDER: the compiler and the combining rules
// compare layers by this order.
enum class Layer { kIntegrity = 0, kLegal = 1, kPlatform = 2, kExemption = 3 };
const char* LayerName(Layer l);

enum class RuleMode { kEnforce, kShadow };

// The account a rule is judged on: the author of the item (the default), each account
// the content links to, or the account whose post is reshared. Inside the rule,
// `account.*` names that account's attributes, and templates use its state.
enum class Subject { kAccount = 0, kLinkedAccount = 1, kResharedAccount = 2 };
inline constexpr int kSubjectKinds = 3;
const char* SubjectName(Subject s);

enum class Op {
  kIn,          // scalar attribute is one of `values`
  kNotIn,       // scalar attribute is present and none of `values`
  kIntersects,  // set attribute shares a value with `values`
  kContainsAll, // set attribute holds every one of `values`
  kSameAs,      // scalar attribute equals `other_attr` (both present)
  kNotSameAs,   // not kSameAs (an absent side counts as different)
  kIs,          // bool attribute equals `flag` (absent reads as false)
  kMatches,     // string attribute fully matches the RE2 `pattern`
  kBefore,      // instant attribute < `instant` (absent: false)
  kAtOrAfter,   // instant attribute >= `instant` (absent: false)
  kListedIn,    // account.sanctions holds a listing on `list` in force at request time
  kPresent,     // attribute present == `flag`
};
const char* OpName(Op op);

struct Condition {
  enum class Kind { kAll, kAny, kNot, kTest };
  Kind kind = Kind::kTest;
  std::vector<Condition> children;  // kAll, kAny: any number; kNot: exactly one

  // kTest
  int attr = -1;
  Op op = Op::kIn;
  ValueSet values;                   // kIn, kNotIn, kIntersects, kContainsAll
  std::vector<std::string> written;  // values and groups as written, for explanations
  int other_attr = -1;               // kSameAs, kNotSameAs
  bool flag = false;                 // kIs, kPresent
  std::string pattern;               // kMatches
  int regex = -1;                    // kMatches: index into Policy::regexes
  Instant instant;                   // kBefore, kAtOrAfter
  int list = -1;                     // kListedIn

  SourceLocation at;
};

// A set of countries written as literals, groups and country attributes of the
// subject account (`account.affiliated_state`).
struct CountryList {
  ValueSet fixed;
  std::vector<int> attrs;
  std::vector<std::string> written;
};

struct AdsEffect {
  enum class Kind { kNone, kDenyAll, kAllowOnly, kDeny };
  Kind kind = Kind::kNone;
  CountryList countries;  // kAllowOnly, kDeny
};

struct LabelEffect {
  int label = -1;
  std::vector<int> placements;  // ascending placement indexes
};

struct Effects {
  std::vector<int> levels;  // per surface: level index, or -1 for no change
  std::vector<LabelEffect> labels;
  int notice = -1;
  std::vector<int> friction;  // ascending friction indexes
  int monetization = -1;
  AdsEffect ads;
  SourceLocation at;

  bool HasOrganicEffect() const;  // anything besides ads
  bool empty() const { return !HasOrganicEffect() && ads.kind == AdsEffect::Kind::kNone; }
};

// A conditional part of a rule: applies when the rule's `when` and its own hold.
struct Case {
  Condition when;
  Effects then;
  SourceLocation at;
};

struct Rule {
  std::string id;
  Layer layer = Layer::kPlatform;
  RuleMode mode = RuleMode::kEnforce;
  std::string description;
  std::string note;                 // the reasoning behind a policy choice
  std::vector<std::string> basis;   // source references, e.g. [TT8]
  std::vector<Subject> applies_to;  // at least one; ascending
  Instant from = kBeginningOfTime;  // effective window [from, until)
  Instant until = kEndOfTime;
  std::string window;               // the named window used, if any
  bool has_when = false;
  Condition when;                   // meaningful when has_when
  Effects then;
  std::vector<Case> cases;
  std::vector<int> lifts;           // exemptions: indexes of the rules they lift
  SourceLocation at;
};

struct SourceFile {
  std::string path;    // relative to the policy directory
  std::string sha256;  // hex
};

struct Policy {
  Vocabulary vocabulary;
  std::vector<Rule> rules;  // sorted by id
  std::shared_ptr<const Registry> registry;
  std::vector<std::string> regexes;  // every `matches` pattern, deduplicated
  std::vector<SourceFile> files;     // sorted by path
  std::string version;               // `sha256:` + hash of the files' paths and bytes
  std::string directory;

  int FindRule(const std::string& id) const;
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_POLICY_H_
