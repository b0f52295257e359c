// The decision's JSON writer.
//
// Hand-written rather than built through nlohmann::json: the output must be the same
// bytes for the same decision (field order, no whitespace, no number formatting
// choices), and a server writes it for every request into a reused buffer.
//
// The shadow report re-runs the combining rules (internal::Combine) on a copy of the
// decision with one shadow rule's clauses added, and writes only what would change.
#include "engine/decision_json.h"

#include <algorithm>
#include <array>
#include <memory>
#include <span>
#include <vector>

#include "engine/internal/combine.h"

namespace statemark {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Name `i` of `names`, or "" for an index outside it (a bug upstream, not user input).
template <typename Names>
std::string_view NameAt(const Names& names, int i) {
  if (i < 0 || static_cast<size_t>(i) >= names.size()) return "";
  return names[static_cast<size_t>(i)];
}

// The request's viewer country index (ZZ when the request has none).
int ViewerCountry(const CompiledPolicy& policy, const Request& request) {
  const Vocabulary& vocab = policy.vocabulary();
  if (vocab.attr_viewer_country < 0) return vocab.unknown_country;
  const internal::Slot& slot = policy.slot(vocab.attr_viewer_country);
  if (slot.index < 0 || slot.index >= kMaxRequestAttributes) return vocab.unknown_country;
  const uint32_t v = request.facts.value[static_cast<size_t>(slot.index)];
  if (v == kAbsent || v >= vocab.countries.size()) return vocab.unknown_country;
  return static_cast<int>(v);
}

// Writes one decision's fields. Holds the request-wide context every field needs.
class DecisionWriter {
 public:
  DecisionWriter(const CompiledPolicy& policy, const Request& request)
      : policy_(policy),
        vocab_(policy.vocabulary()),
        request_(request),
        viewer_(ViewerCountry(policy, request)) {}

  void Write(const Decision& d, std::string* out) const {
    out->append("{\"request_id\":");
    if (request_.has_request_id) {
      AppendJsonString(request_.request_id, out);
    } else {
      out->append("null");
    }
    out->append(",\"policy_version\":");
    AppendJsonString(policy_.version(), out);
    out->append(",\"time\":\"");
    AppendRfc3339(d.time, out);  // digits, dashes and colons: nothing to escape
    out->push_back('"');
    out->append(",\"surfaces\":");
    WriteSurfaces(d, nullptr, out);
    WriteOutcome(d, nullptr, out);
    out->append(",\"rules\":");
    WriteRules(d, out);
    out->append(",\"shadow\":");
    WriteShadow(d, out);
    out->append(",\"warnings\":[");
    for (size_t i = 0; i < request_.warnings.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(request_.warnings[i], out);
    }
    out->append("]}");
  }

 private:
  // Labels, notice, friction, monetization and ad, each preceded by a comma. With
  // `base`, only the fields whose text differs from base's are written.
  void WriteOutcome(const Decision& d, const Decision* base, std::string* out) const {
    Field("labels", d, base, &DecisionWriter::WriteLabels, out);
    Field("notice", d, base, &DecisionWriter::WriteNotice, out);
    Field("friction", d, base, &DecisionWriter::WriteFriction, out);
    Field("monetization", d, base, &DecisionWriter::WriteMonetization, out);
    if (request_.is_ad) Field("ad", d, base, &DecisionWriter::WriteAd, out);
  }

  using Writer = void (DecisionWriter::*)(const Decision&, std::string*) const;

  void Field(std::string_view name, const Decision& d, const Decision* base, Writer write,
             std::string* out) const {
    if (base == nullptr) {
      out->append(",\"").append(name).append("\":");
      (this->*write)(d, out);
      return;
    }
    std::string value, old;
    (this->*write)(d, &value);
    (this->*write)(*base, &old);
    if (old != value) out->append(",\"").append(name).append("\":").append(value);
  }

  // Every surface; with `base`, only those whose level differs from base's.
  void WriteSurfaces(const Decision& d, const Decision* base, std::string* out) const {
    out->push_back('{');
    bool first = true;
    const int n = std::min(policy_.surface_count(), kMaxSurfaces);
    for (int i = 0; i < n; ++i) {
      const size_t s = static_cast<size_t>(i);
      if (base != nullptr && base->levels[s] == d.levels[s]) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(vocab_.surfaces[s], out);
      out->push_back(':');
      AppendJsonString(NameAt(vocab_.levels, d.levels[s]), out);
    }
    out->push_back('}');
  }

  // The names of the set bits, as a JSON array. `name(i)` gives bit i's name.
  template <typename Name>
  static void Bits(uint32_t bits, Name name, std::string* out) {
    out->push_back('[');
    bool first = true;
    for (int i = 0; i < 32; ++i) {
      if ((bits & (uint32_t{1} << i)) == 0) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(name(i), out);
    }
    out->push_back(']');
  }

  std::string_view PlacementName(int i) const {
    if (i < 0 || static_cast<size_t>(i) >= vocab_.placements.size()) return "";
    return vocab_.placements[static_cast<size_t>(i)].name;
  }

  // A rendered template as a JSON string, through a per-thread scratch buffer.
  void AppendTemplate(const Template& t, int state, std::string* out) const {
    thread_local std::string text;
    text.clear();
    AppendRenderedTemplate(t, vocab_, state, viewer_, request_.account_id, &text);
    AppendJsonString(text, out);
  }

  void WriteLabels(const Decision& d, std::string* out) const {
    out->push_back('[');
    bool first = true;
    const int n = std::min(d.label_count, kMaxRenderedLabels);
    for (int i = 0; i < n; ++i) {
      const RenderedLabel& r = d.labels[static_cast<size_t>(i)];
      if (r.label >= vocab_.labels.size()) continue;  // not a label: a bug upstream
      if (!first) out->push_back(',');
      first = false;
      const Label& label = vocab_.labels[r.label];
      const int state = r.state == kNoCountry ? -1 : r.state;
      out->append("{\"id\":");
      AppendJsonString(label.id, out);
      out->append(",\"text\":");
      AppendTemplate(label.text, state, out);
      out->append(",\"placements\":");
      Bits(r.placements, [this](int bit) { return PlacementName(bit); }, out);
      out->push_back('}');
    }
    out->push_back(']');
  }

  void WriteNotice(const Decision& d, std::string* out) const {
    if (d.notice < 0 || static_cast<size_t>(d.notice) >= vocab_.notices.size()) {
      out->append("null");
      return;
    }
    const Notice& notice = vocab_.notices[static_cast<size_t>(d.notice)];
    AppendTemplate(notice.text, -1, out);
  }

  void WriteFriction(const Decision& d, std::string* out) const {
    Bits(d.friction, [this](int i) { return NameAt(vocab_.friction, i); }, out);
  }

  void WriteMonetization(const Decision& d, std::string* out) const {
    AppendJsonString(NameAt(vocab_.monetization, d.monetization), out);
  }

  std::string_view CountryCode(int c) const {
    return NameAt(vocab_.domains[kCountryDomain].values, c);
  }

  // {"decision": ..., "allowed": [...], "denied": [{"country": ..., "rules": [...]}]}
  // Fixed arrays rather than vectors: an ad decision is written without allocating.
  void WriteAd(const Decision& d, std::string* out) const {
    std::array<uint16_t, kMaxDomainValues> allowed, denied;  // targets are distinct values
    size_t allowed_count = 0, denied_count = 0;
    for (uint16_t c : request_.target_order) {
      if (d.ad_allowed.Contains(c)) {
        allowed[allowed_count++] = c;
      } else {
        denied[denied_count++] = c;
      }
    }
    const char* verdict = denied_count == 0 ? "allow" : allowed_count == 0 ? "deny" : "restrict";
    out->append("{\"decision\":\"").append(verdict).append("\",\"allowed\":[");
    for (size_t i = 0; i < allowed_count; ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(CountryCode(allowed[i]), out);
    }
    out->append("],\"denied\":[");
    AdLimits limits;
    CollectAdLimits(d, &limits);
    for (size_t i = 0; i < denied_count; ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"country\":");
      AppendJsonString(CountryCode(denied[i]), out);
      out->append(",\"rules\":");
      DeniedBy(limits, denied[i], out);
      out->push_back('}');
    }
    out->append("]}");
  }

  // (rule index, countries allowed) for every applied clause that acts on ads.
  struct AdLimits {
    std::array<std::pair<uint32_t, ValueSet>, kMaxAppliedClauses> limits;
    size_t count = 0;
  };

  void CollectAdLimits(const Decision& d, AdLimits* out) const {
    const int n = std::min(d.applied_count, kMaxAppliedClauses);
    for (int i = 0; i < n; ++i) {
      const AppliedClause& a = d.applied[static_cast<size_t>(i)];
      if (!internal::ClauseActsOn(policy_, a, /*is_ad=*/true)) continue;
      out->limits[out->count++] = {policy_.clauses()[a.clause].rule, internal::AllowedBy(policy_, a)};
    }
  }

  // The ids of the rules whose allowed set leaves out `country`, sorted by id (rules are
  // stored sorted by id, so by index), each once.
  void DeniedBy(const AdLimits& limits, int country, std::string* out) const {
    std::array<uint32_t, kMaxAppliedClauses> rules;
    size_t count = 0;
    for (size_t i = 0; i < limits.count; ++i) {
      if (!limits.limits[i].second.Contains(country)) rules[count++] = limits.limits[i].first;
    }
    std::sort(rules.begin(), rules.begin() + static_cast<long>(count));
    count = static_cast<size_t>(std::unique(rules.begin(), rules.begin() + static_cast<long>(count)) - rules.begin());
    RuleIds(std::span<const uint32_t>(rules.data(), count), out);
  }

  void RuleIds(std::span<const uint32_t> rules, std::string* out) const {
    out->push_back('[');
    for (size_t i = 0; i < rules.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(policy_.policy().rules[rules[i]].id, out);
    }
    out->push_back(']');
  }

  void WriteRules(const Decision& d, std::string* out) const {
    const int n = std::min(d.rule_count, kMaxAppliedClauses);
    RuleIds(std::span<const uint32_t>(d.rules.data(), static_cast<size_t>(std::max(n, 0))), out);
  }

  // [{"rule": id, "would": {...changes...}}], one entry per distinct shadow rule in
  // rule order.
  void WriteShadow(const Decision& d, std::string* out) const {
    const int n = std::min(d.shadow_count, kMaxAppliedClauses);
    std::vector<uint32_t> rules;
    for (int i = 0; i < n; ++i) {
      rules.push_back(policy_.clauses()[d.shadow[static_cast<size_t>(i)].clause].rule);
    }
    std::sort(rules.begin(), rules.end());
    rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
    out->push_back('[');
    for (size_t i = 0; i < rules.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"rule\":");
      AppendJsonString(policy_.policy().rules[rules[i]].id, out);
      out->append(",\"would\":");
      WriteWould(d, rules[i], out);
      out->push_back('}');
    }
    out->push_back(']');
  }

  // What the decision would be with shadow rule `rule` enforced, as the fields that
  // differ from `d`; `{}` when nothing would.
  void WriteWould(const Decision& d, uint32_t rule, std::string* out) const {
    auto with = std::make_unique<Decision>(d);  // large: keep it off the stack
    const int n = std::min(d.shadow_count, kMaxAppliedClauses);
    for (int i = 0; i < n; ++i) {
      const AppliedClause& a = d.shadow[static_cast<size_t>(i)];
      if (policy_.clauses()[a.clause].rule != rule) continue;
      if (with->applied_count >= kMaxAppliedClauses) break;
      with->applied[static_cast<size_t>(with->applied_count++)] = a;
    }
    internal::Combine(policy_, request_, with.get());
    std::string fields;
    std::string surfaces;
    WriteSurfaces(*with, &d, &surfaces);
    if (surfaces != "{}") fields.append(",\"surfaces\":").append(surfaces);
    WriteOutcome(*with, &d, &fields);
    if (!fields.empty()) fields[0] = '{';  // the leading comma opens the object
    out->append(fields.empty() ? "{" : fields).push_back('}');
  }

  const CompiledPolicy& policy_;
  const Vocabulary& vocab_;
  const Request& request_;
  const int viewer_;
};

}  // namespace

void AppendDecisionJson(const CompiledPolicy& policy, const Request& request,
                        const Decision& decision, std::string* out) {
  DecisionWriter(policy, request).Write(decision, out);
}

void AppendErrorJson(const RequestError& error, std::string* out) {
  out->append("{\"error\":{\"code\":");
  AppendJsonString(error.code, out);
  out->append(",\"message\":");
  AppendJsonString(error.message, out);
  out->append(",\"path\":");
  AppendJsonString(error.path, out);
  out->append("}}");
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;  // start of the current run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        }
    }
  }
  out->append(s.data() + run, s.size() - run);  // UTF-8 bytes pass through unchanged
  out->push_back('"');
}

}  // namespace statemark
