#include "engine/lint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "engine/decision_space.h"
#include "engine/internal/space_builder.h"

namespace statemark {
namespace {

using internal::Clause;

// Everything written in conditions and ads lists: values, groups.
void CollectWritten(const Condition& c, std::set<std::string>* out) {
  for (const std::string& w : c.written) out->insert(w);
  for (const Condition& child : c.children) CollectWritten(child, out);
}

void CollectListsTested(const Condition& c, std::set<int>* out) {
  if (c.kind == Condition::Kind::kTest && c.op == Op::kListedIn) out->insert(c.list);
  for (const Condition& child : c.children) CollectListsTested(child, out);
}

// Where a vocabulary section without per-item positions is declared: the first line
// `  NAME:` of the policy's YAML files.
SourceLocation FindSection(const Policy& p, const std::string& name) {
  for (const SourceFile& f : p.files) {
    std::ifstream in(std::filesystem::path(p.directory) / f.path);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const size_t col = line.find_first_not_of(' ');
      if (col != std::string::npos && line.compare(col, name.size() + 1, name + ":") == 0) {
        return SourceLocation{(std::filesystem::path(p.directory) / f.path).string(), n, static_cast<int>(col) + 1};
      }
    }
  }
  return SourceLocation{p.directory, 0, 0};
}

// The decision without rule `rule`: its clauses dropped, and what it alone lifted restored.
void WithoutRule(const CompiledPolicy& p, uint32_t rule, Decision* d) {
  int n = 0;
  for (int i = 0; i < d->applied_count; ++i) {
    if (p.clauses()[d->applied[static_cast<size_t>(i)].clause].rule != rule) d->applied[static_cast<size_t>(n++)] = d->applied[static_cast<size_t>(i)];
  }
  d->applied_count = n;
  n = 0;
  for (int i = 0; i < d->shadow_count; ++i) {
    if (p.clauses()[d->shadow[static_cast<size_t>(i)].clause].rule != rule) d->shadow[static_cast<size_t>(n++)] = d->shadow[static_cast<size_t>(i)];
  }
  d->shadow_count = n;
  std::vector<Lift> kept, dropped;
  for (int i = 0; i < d->lift_count; ++i) {
    const Lift& l = d->lifts[static_cast<size_t>(i)];
    (l.exemption_rule == rule ? dropped : kept).push_back(l);
  }
  for (const Lift& l : dropped) {
    bool still = false;
    for (const Lift& k : kept) still = still || (k.clause == l.clause && k.subject == l.subject && k.account == l.account);
    bool added = false;
    for (int i = 0; i < d->applied_count; ++i) {
      added = added || (d->applied[static_cast<size_t>(i)].clause == l.clause && d->applied[static_cast<size_t>(i)].account == l.account);
    }
    if (still || added || d->applied_count >= kMaxAppliedClauses) continue;
    AppliedClause a;
    a.clause = l.clause;
    a.subject = l.subject;
    a.account = l.account;
    a.state = l.state;
    a.ad_countries = l.ad_countries;
    d->applied[static_cast<size_t>(d->applied_count++)] = a;
  }
  d->lift_count = static_cast<int>(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) d->lifts[i] = kept[i];
}

std::string ClauseWords(const CompiledPolicy& p, uint32_t clause) {
  const Clause& c = p.clauses()[clause];
  const std::string& id = p.policy().rules[c.rule].id;
  if (c.case_index < 0) return "the `then` of rule `" + id + "`";
  return "case " + std::to_string(c.case_index + 1) + " of rule `" + id + "`";
}

SourceLocation ClauseAt(const CompiledPolicy& p, uint32_t clause) {
  const Clause& c = p.clauses()[clause];
  const Rule& r = p.policy().rules[c.rule];
  return c.case_index < 0 ? r.at : r.cases[static_cast<size_t>(c.case_index)].at;
}

}  // namespace

Result<LintResult> Lint(const CompiledPolicy& policy) {
  const Policy& pol = policy.policy();
  const size_t rules = pol.rules.size();
  std::vector<bool> clause_matched(policy.clauses().size(), false);
  std::vector<bool> changes(rules, false);
  std::vector<std::optional<nlohmann::json>> no_change_example(rules);
  std::map<uint32_t, std::set<uint32_t>> lifted;  // exemption rule -> rules it lifted
  Decision scratch;
  BuilderOptions bo;
  Result<std::vector<std::string>> limits = EnumerateClasses({&policy}, bo, [&](const FoundClass& f) {
    const ClassOutcome& o = f.outcomes[0];
    for (uint32_t c : o.clauses) clause_matched[c] = true;
    const Decision& d = *o.decision;
    std::set<uint32_t> involved;
    for (int i = 0; i < d.applied_count; ++i) involved.insert(policy.clauses()[d.applied[static_cast<size_t>(i)].clause].rule);
    for (int i = 0; i < d.lift_count; ++i) {
      const Lift& l = d.lifts[static_cast<size_t>(i)];
      involved.insert(l.exemption_rule);
      lifted[l.exemption_rule].insert(policy.clauses()[l.clause].rule);
    }
    for (uint32_t rule : involved) {
      if (changes[rule]) continue;
      scratch = d;
      WithoutRule(policy, rule, &scratch);
      Recombine(policy, *o.request, &scratch);
      if (DecisionSummary(policy, o.request, scratch) != o.summary) {
        changes[rule] = true;
      } else if (!no_change_example[rule]) {
        no_change_example[rule] = *f.sample;
      }
    }
  });
  if (!limits.ok()) return limits.diagnostics();
  LintResult result;
  result.limits = limits.value();
  auto add = [&](std::string code, std::string rule, SourceLocation at, std::string message,
                 std::optional<nlohmann::json> example = std::nullopt) {
    result.findings.push_back({std::move(code), std::move(rule), std::move(at), std::move(message), std::move(example)});
  };
  // Clauses that never match; rules that never change a decision.
  for (size_t r = 0; r < rules; ++r) {
    const Rule& rule = pol.rules[r];
    if (rule.layer == Layer::kExemption) continue;
    bool any = false;
    for (uint32_t c = 0; c < policy.clauses().size(); ++c) {
      if (policy.clauses()[c].rule != r) continue;
      if (clause_matched[c]) {
        any = true;
        continue;
      }
      add("never-matches", rule.id, ClauseAt(policy, c),
          ClauseWords(policy, c) + " matches no request: its conditions contradict each other, or cannot hold "
          "while the rule is in effect, or need an account the registry does not hold");
    }
    if (any && rule.mode == RuleMode::kEnforce && !changes[r]) {
      add("no-effect", rule.id, rule.at,
          "rule `" + rule.id + "` changes no decision: whenever it matches, other rules decide the same without it "
          "(remove it, or make it say something the others do not)",
          no_change_example[r]);
    }
  }
  // Exemptions.
  for (size_t r = 0; r < rules; ++r) {
    const Rule& rule = pol.rules[r];
    if (rule.layer != Layer::kExemption) continue;
    const auto it = lifted.find(static_cast<uint32_t>(r));
    if (it == lifted.end()) {
      add("lifts-nothing", rule.id, rule.at,
          "exemption `" + rule.id + "` lifts nothing: no request matches both it and a rule it lifts");
      continue;
    }
    for (int target : rule.lifts) {
      if (!it->second.count(static_cast<uint32_t>(target))) {
        add("lifts-nothing", rule.id, rule.at,
            "exemption `" + rule.id + "` never lifts `" + pol.rules[static_cast<size_t>(target)].id +
                "`: no request matches both");
      }
    }
    if (!changes[r]) {
      add("no-effect", rule.id, rule.at,
          "exemption `" + rule.id + "` changes no decision: what it lifts would change nothing", no_change_example[r]);
    }
  }
  // Names declared for rules to use, and never used.
  const Vocabulary& v = policy.vocabulary();
  std::set<int> labels, notices, windows_used, lists;
  std::set<std::string> written, windows_named;
  std::set<int> friction, monetization;
  auto effects = [&](const Effects& e) {
    for (const LabelEffect& l : e.labels) labels.insert(l.label);
    if (e.notice >= 0) notices.insert(e.notice);
    for (int f : e.friction) friction.insert(f);
    if (e.monetization >= 0) monetization.insert(e.monetization);
    for (const std::string& w : e.ads.countries.written) written.insert(w);
  };
  for (const Rule& rule : pol.rules) {
    if (rule.has_when) {
      CollectWritten(rule.when, &written);
      CollectListsTested(rule.when, &lists);
    }
    effects(rule.then);
    for (const Case& c : rule.cases) {
      CollectWritten(c.when, &written);
      CollectListsTested(c.when, &lists);
      effects(c.then);
    }
    if (!rule.window.empty()) windows_named.insert(rule.window);
  }
  for (size_t i = 0; i < v.labels.size(); ++i) {
    if (!labels.count(static_cast<int>(i))) {
      add("unused-label", "", v.labels[i].at, "label `" + v.labels[i].id + "` is declared but no rule shows it");
    }
  }
  for (size_t i = 0; i < v.notices.size(); ++i) {
    if (!notices.count(static_cast<int>(i))) {
      add("unused-notice", "", v.notices[i].at, "notice `" + v.notices[i].id + "` is declared but no rule gives it");
    }
  }
  for (const Group& g : v.groups) {
    if (!written.count(g.name)) add("unused-group", "", g.at, "group `" + g.name + "` is declared but no rule names it");
  }
  for (const Window& w : v.windows) {
    if (!windows_named.count(w.name)) add("unused-window", "", w.at, "window `" + w.name + "` is declared but no rule is in effect in it");
  }
  for (size_t i = 0; i < v.friction.size(); ++i) {
    if (!friction.count(static_cast<int>(i))) {
      add("unused-friction", "", FindSection(pol, "friction"), "friction `" + v.friction[i] + "` is declared but no rule adds it");
    }
  }
  for (size_t i = 1; i < v.monetization.size(); ++i) {
    if (!monetization.count(static_cast<int>(i))) {
      add("unused-value", "", FindSection(pol, "monetization"),
          "monetization `" + v.monetization[i] + "` is declared but no rule sets it");
    }
  }
  for (size_t i = 0; i < v.sanctions_lists.size(); ++i) {
    if (!lists.count(static_cast<int>(i))) {
      add("unused-value", "", v.sanctions_lists[i].at,
          "sanctions list `" + v.sanctions_lists[i].name + "` is declared but no rule tests it with `listed_in`");
    }
  }
  std::stable_sort(result.findings.begin(), result.findings.end(), [](const LintFinding& a, const LintFinding& b) {
    return std::tie(a.at.file, a.at.line, a.at.column, a.code) < std::tie(b.at.file, b.at.line, b.at.column, b.code);
  });
  return result;
}

nlohmann::json LintJson(const CompiledPolicy& policy, const LintResult& result) {
  nlohmann::json findings = nlohmann::json::array();
  for (const LintFinding& f : result.findings) {
    findings.push_back({{"code", f.code},
                        {"rule", f.rule.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.rule)},
                        {"file", f.at.file},
                        {"line", f.at.line},
                        {"column", f.at.column},
                        {"message", f.message},
                        {"example", f.example ? *f.example : nlohmann::json(nullptr)}});
  }
  return {{"policy_version", policy.version()}, {"findings", findings}, {"limits", result.limits}};
}

std::string LintText(const LintResult& result) {
  std::string out;
  for (const LintFinding& f : result.findings) {
    out += f.at.file + ":" + std::to_string(f.at.line) + ":" + std::to_string(f.at.column) + ": warning[" + f.code +
           "]: " + f.message + "\n";
    if (f.example) out += "  example: " + f.example->dump() + "\n";
  }
  for (const std::string& l : result.limits) out += "limit: " + l + "\n";
  return out;
}

}  // namespace statemark
