// HandwrittenPolicy: the default policy (rules/, RDS v1) written directly in C++ with
// plain if/else over a parsed Request. It is the benchmark's practical limit: what the
// compiled decision tree would cost if the policy were code instead of data.
//
// It computes the outcome fields of a decision (surfaces, labels, notice, friction,
// monetization, the ads verdict) with the same registry lookups as the engine, and
// nothing the engine does besides: no `rules` attribution and no shadow report. Names
// are resolved to indexes once, in the constructor; Decide() allocates nothing.
//
// The rules are transcribed from rules/*.yaml. SameOutcome() compares a result with the
// engine's Decision, and bench/handwritten_policy_test.cc runs it on generated
// requests, so an edit to the YAML that is not mirrored here fails the tests.
//
// Thread safety: immutable after construction; Decide() from any number of threads.
#ifndef STATEMARK_BENCH_HANDWRITTEN_POLICY_H_
#define STATEMARK_BENCH_HANDWRITTEN_POLICY_H_

#include <array>
#include <cstdint>
#include <string>

#include "engine/compiled_policy.h"
#include "engine/decision.h"
#include "engine/request.h"

namespace statemark::bench {

struct HandwrittenDecision {
  std::array<uint8_t, kMaxSurfaces> levels{};  // by surface index
  int notice = -1;
  uint32_t friction = 0;
  int monetization = 0;
  ValueSet ad_allowed;  // ad requests only
  std::array<RenderedLabel, kMaxRenderedLabels> labels;  // sorted by (label, state)
  int label_count = 0;
};

class HandwrittenPolicy {
 public:
  // REQUIRES: `policy` was compiled from the default policy's rules (rules/*.yaml; the
  // registry may differ). Otherwise the constructor throws std::runtime_error.
  explicit HandwrittenPolicy(const CompiledPolicy& policy);

  void Decide(const Request& request, HandwrittenDecision* out) const;

 private:
  struct Account;  // the attributes the rules read, for one subject
  void ReadRegistered(int index, int64_t time, Account* a) const;
  void ReadInline(const Request& r, Account* a) const;
  void DecideAuthor(const Request& r, const Account& a, HandwrittenDecision* d) const;
  void DecideLinked(const Request& r, const Account& a, HandwrittenDecision* d) const;
  void DecideReshared(const Request& r, const Account& a, HandwrittenDecision* d) const;
  void Finish(const Request& r, HandwrittenDecision* d) const;

  const CompiledPolicy& policy_;
  const Registry& registry_;
  // Request slots.
  int viewer_slot_, topics_set_, subjects_set_, ad_topics_set_, targets_set_;
  int managed_slot_, first_impression_slot_;
  // Account slots (for inline accounts) and registry columns.
  int aff_slot_, state_slot_, parent_slot_, edit_slot_, appeal_slot_, georole_slot_,
      dispute_slot_, integrity_slot_;
  int aff_col_, state_col_, parent_col_, edit_col_, appeal_col_, georole_col_, dispute_col_,
      integrity_col_;
  uint32_t aff_default_, edit_default_, appeal_default_, integrity_default_;
  // Values.
  uint32_t none_, scm_, sam_, staff_, pfim_, gov_org_, gov_off_, head_, party_, politician_;
  uint32_t independent_, granted_, cio_removed_, fi_banned_;
  uint32_t ru_, gb_, us_, zz_;
  uint32_t tv_novosti_, rossiya_segodnya_;  // StringTable ids (kNotFound if never interned)
  int eu_list_, uk_list_;
  ValueSet eu27_, news_politics_, p9_topics_, p10_topics_, gb_set_, us_set_;
  int countries_;
  // Outcome indexes.
  uint8_t demoted_, ineligible_, geo_blocked_, removed_, withheld_level_;
  int for_you_, explore_, search_, surfaces_;
  uint16_t label_scm_, label_sam_, label_gov_org_, label_gov_off_, label_link_;
  uint32_t placements_scm_, placements_gov_, placements_link_, placements_embedded_;
  uint32_t organic_visible_, ad_visible_;
  int legal_notice_;
  uint32_t click_, share_;
  int deny_monetization_;
  // Rule windows, in microseconds.
  int64_t p3_from_, p4_from_, p5_from_, p7_from_, i2_from_, p11_from_, p12_from_;
  int64_t us_ads_from_, us_ads_until_, gb_from_, gb_until_;
};

// Whether `hand` has the same outcome as the engine's `engine` for `request`; when not,
// *difference names the first field that differs.
bool SameOutcome(const CompiledPolicy& policy, const Request& request, const Decision& engine,
                 const HandwrittenDecision& hand, std::string* difference);

}  // namespace statemark::bench

#endif  // STATEMARK_BENCH_HANDWRITTEN_POLICY_H_
