#include "engine/policy_diff.h"

#include <map>
#include <set>

#include "engine/decision_json.h"
#include "engine/decision_space.h"
#include "engine/evaluator.h"
#include "engine/internal/space_builder.h"
#include "engine/request_parser.h"

namespace statemark {
namespace {

const char* SubjectLetter(Subject s) {
  return s == Subject::kAccount ? "A" : s == Subject::kLinkedAccount ? "L" : "R";
}

nlohmann::json TimeJson(Instant from, Instant until) {
  return {{"from", from == kBeginningOfTime ? nlohmann::json(nullptr) : nlohmann::json(FormatRfc3339(from))},
          {"until", until == kEndOfTime ? nlohmann::json(nullptr) : nlohmann::json(FormatRfc3339(until))}};
}

// The summary fields that differ: `surfaces.for_you`, `labels`, `rules`, ...
std::vector<std::string> ChangedFields(const nlohmann::json& a, const nlohmann::json& b) {
  std::vector<std::string> out;
  std::set<std::string> keys;
  for (const auto& [k, v] : a.items()) keys.insert(k);
  for (const auto& [k, v] : b.items()) keys.insert(k);
  for (const std::string& k : {std::string("surfaces"), std::string("labels"), std::string("notice"), std::string("friction"),
                               std::string("monetization"), std::string("ads"), std::string("rules")}) {
    if (!keys.count(k)) continue;
    const nlohmann::json x = a.contains(k) ? a[k] : nlohmann::json(nullptr);
    const nlohmann::json y = b.contains(k) ? b[k] : nlohmann::json(nullptr);
    if (x == y) continue;
    if (k == "surfaces" && x.is_object() && y.is_object()) {
      for (const auto& [s, level] : x.items()) {
        if (!y.contains(s) || y[s] != level) out.push_back("surfaces." + s);
      }
    } else {
      out.push_back(k);
    }
  }
  return out;
}

// Account rows, listings and effective dates, by id, in words-free form for comparing.
std::map<std::string, std::string> RegistryRows(const CompiledPolicy& p) {
  std::map<std::string, std::string> rows;
  const Registry& reg = p.registry();
  const Vocabulary& v = p.vocabulary();
  for (int a = 0; a < reg.size(); ++a) {
    std::string row;
    for (int c = 0; c < reg.column_count(); ++c) {
      const Attribute& attr = v.attributes[static_cast<size_t>(reg.ColumnAttribute(c))];
      const uint32_t value = reg.Value(a, c);
      row += attr.name + "=";
      if (value == kAbsent) {
        row += "(absent)";
      } else if (attr.type == AttrType::kString) {
        row += std::string(reg.strings().Get(value));
      } else {
        row += std::to_string(value);
      }
      if (reg.IsDated(c)) row += "@" + std::to_string(reg.EffectiveAt(a, c).micros);
      row += ";";
    }
    for (const Listing& l : reg.Listings(a)) {
      row += "listing=" + v.sanctions_lists[static_cast<size_t>(l.list)].name + "@" + std::to_string(l.from.micros) +
             "-" + std::to_string(l.until.micros) + ";";
    }
    rows[std::string(reg.Id(a))] = row;
  }
  return rows;
}

}  // namespace

Result<nlohmann::json> PolicyDiffJson(const CompiledPolicy& before, const CompiledPolicy& after,
                                      const DiffOptions& options) {
  if (std::optional<std::string> why = VocabularyDifference(before.vocabulary(), after.vocabulary())) {
    Diagnostics d;
    d.Error(SourceLocation{after.policy().directory, 0, 0}, "vocabulary-changed",
            "the two versions declare different vocabularies (" + *why +
                "); the diff compares versions that share one: change the vocabulary in a commit of its own");
    return d;
  }
  struct Change {
    Subject subject;
    Instant from, until;
    nlohmann::json conditions, before, after, rules_before, rules_after, sample;
  };
  std::vector<Change> changes;
  std::map<std::string, size_t> open;
  BuilderOptions bo;
  bo.at = options.at;
  bo.max_classes = options.max_classes;
  Result<std::vector<std::string>> limits = EnumerateClasses({&before, &after}, bo, [&](const FoundClass& f) {
    const ClassOutcome& a = f.outcomes[0];
    const ClassOutcome& b = f.outcomes[1];
    if (a.summary == b.summary) return;
    nlohmann::json conditions = nlohmann::json::array();
    for (const ClassCondition& c : f.conditions) conditions.push_back(ConditionText(before, c));
    std::string key = std::string(SubjectName(f.subject)) + conditions.dump() + a.summary.dump() + b.summary.dump();
    auto it = open.find(key);
    if (it != open.end() && changes[it->second].until == f.from) {
      changes[it->second].until = f.until;
      return;
    }
    open[key] = changes.size();
    changes.push_back({f.subject, f.from, f.until, conditions, a.summary, b.summary, a.matched, b.matched, *f.sample});
  });
  if (!limits.ok()) return limits.diagnostics();
  std::stable_sort(changes.begin(), changes.end(), [](const Change& x, const Change& y) { return x.subject < y.subject; });
  nlohmann::json j;
  j["before"] = before.version();
  j["after"] = after.version();
  j["at"] = options.at ? nlohmann::json(FormatRfc3339(*options.at)) : nlohmann::json(nullptr);
  nlohmann::json list = nlohmann::json::array();
  std::map<Subject, int> counts;
  for (const Change& c : changes) {
    nlohmann::json cj;
    cj["id"] = SubjectLetter(c.subject) + std::to_string(++counts[c.subject]);
    cj["subject"] = SubjectName(c.subject);
    cj["time"] = options.at ? TimeJson(kBeginningOfTime, kEndOfTime) : TimeJson(c.from, c.until);
    cj["conditions"] = c.conditions;
    cj["before"] = c.before;
    cj["after"] = c.after;
    cj["changed"] = ChangedFields(c.before, c.after);
    cj["rules_before"] = c.rules_before;
    cj["rules_after"] = c.rules_after;
    cj["sample"] = c.sample;
    list.push_back(std::move(cj));
  }
  j["changes"] = std::move(list);
  nlohmann::json registry = nlohmann::json::array();
  const auto rows_a = RegistryRows(before);
  const auto rows_b = RegistryRows(after);
  std::set<std::string> ids;
  for (const auto& [id, row] : rows_a) ids.insert(id);
  for (const auto& [id, row] : rows_b) ids.insert(id);
  for (const std::string& id : ids) {
    auto x = rows_a.find(id);
    auto y = rows_b.find(id);
    const char* change = x == rows_a.end() ? "added" : y == rows_b.end() ? "removed" : x->second != y->second ? "changed" : nullptr;
    if (change != nullptr) registry.push_back({{"account", id}, {"change", change}});
  }
  j["registry"] = std::move(registry);
  j["limits"] = limits.value();
  return j;
}

nlohmann::json CountTraffic(const CompiledPolicy& before, const CompiledPolicy& after,
                            const std::vector<std::string>& lines, Instant now, size_t max_examples) {
  size_t requests = 0, changed = 0, errors = 0;
  nlohmann::json examples = nlohmann::json::array();
  Request ra, rb;
  Decision da, db;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++requests;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ++errors;
      continue;
    }
    // A decision-log record carries the request under `request`.
    if (j.contains("request") && j["request"].is_object()) j = j["request"];
    RequestError error;
    if (!ParseRequest(before, j, now, &ra, &error) || !ParseRequest(after, j, now, &rb, &error)) {
      ++errors;
      continue;
    }
    Evaluate(before, ra, &da);
    Evaluate(after, rb, &db);
    if (da.overflow || db.overflow) {
      ++errors;
      continue;
    }
    std::string ja, jb;
    AppendDecisionJson(before, ra, da, &ja);
    AppendDecisionJson(after, rb, db, &jb);
    nlohmann::json xa = nlohmann::json::parse(ja), xb = nlohmann::json::parse(jb);
    xa.erase("policy_version");
    xb.erase("policy_version");
    if (xa == xb) continue;
    ++changed;
    if (examples.size() < max_examples) {
      examples.push_back({{"line", i + 1},
                          {"request_id", j.contains("request_id") ? j["request_id"] : nlohmann::json(nullptr)},
                          {"before", xa},
                          {"after", xb}});
    }
  }
  return {{"requests", requests}, {"changed", changed}, {"errors", errors}, {"examples", examples}};
}

namespace {

std::string Brief(const nlohmann::json& summary, const std::vector<std::string>& fields) {
  std::string out;
  std::set<std::string> shown;
  for (const std::string& f : fields) {
    if (f.rfind("surfaces.", 0) == 0) {
      const std::string s = f.substr(9);
      out += "    " + f + ": " + summary["surfaces"][s].get<std::string>() + "\n";
    } else if (shown.insert(f).second) {
      out += "    " + f + ": " + (summary.contains(f) ? summary[f].dump() : "null") + "\n";
    }
  }
  return out;
}

std::string TimeText(const nlohmann::json& t) {
  if (t["from"].is_null() && t["until"].is_null()) return "";
  std::string out = "  time: ";
  out += t["from"].is_null() ? "(beginning)" : t["from"].get<std::string>();
  out += " ≤ request.time < ";
  out += t["until"].is_null() ? "(end)" : t["until"].get<std::string>();
  return out + "\n";
}

std::string Conditions(const nlohmann::json& c, const std::string& sep) {
  std::string out;
  for (const auto& x : c) out += (out.empty() ? "" : sep) + x.get<std::string>();
  return out.empty() ? "(any request)" : out;
}

}  // namespace

std::string PolicyDiffText(const nlohmann::json& diff) {
  std::string out = "policy diff: " + diff["before"].get<std::string>() + " -> " + diff["after"].get<std::string>();
  if (!diff["at"].is_null()) out += " at " + diff["at"].get<std::string>();
  out += "\n";
  const auto& changes = diff["changes"];
  out += std::to_string(changes.size()) + (changes.size() == 1 ? " class changes" : " classes change") + "\n";
  for (const auto& c : changes) {
    const std::vector<std::string> fields = c["changed"].get<std::vector<std::string>>();
    out += "\n" + c["id"].get<std::string>() + " (" + c["subject"].get<std::string>() + ")\n";
    out += "  when: " + Conditions(c["conditions"], " ∧ ") + "\n";
    out += TimeText(c["time"]);
    out += "  before:\n" + Brief(c["before"], fields);
    out += "  after:\n" + Brief(c["after"], fields);
    out += "  matched: " + c["rules_before"].dump() + " -> " + c["rules_after"].dump() + "\n";
    out += "  sample: " + c["sample"].dump() + "\n";
  }
  if (!diff["registry"].empty()) {
    out += "\nregistry:\n";
    for (const auto& r : diff["registry"]) out += "  " + r["account"].get<std::string>() + ": " + r["change"].get<std::string>() + "\n";
  }
  if (diff.contains("traffic")) {
    const auto& t = diff["traffic"];
    out += "\ntraffic: " + std::to_string(t["changed"].get<size_t>()) + " of " + std::to_string(t["requests"].get<size_t>()) +
           " requests change";
    if (t["errors"].get<size_t>() > 0) out += " (" + std::to_string(t["errors"].get<size_t>()) + " could not be decided)";
    out += "\n";
    for (const auto& e : t["examples"]) {
      out += "  line " + std::to_string(e["line"].get<size_t>()) + ": " + e["before"].dump() + "\n    -> " + e["after"].dump() + "\n";
    }
  }
  for (const auto& l : diff["limits"]) out += "\nlimit: " + l.get<std::string>() + "\n";
  return out;
}

std::string PolicyDiffMarkdown(const nlohmann::json& diff) {
  std::string out = "## Policy diff\n\n`" + diff["before"].get<std::string>() + "` → `" + diff["after"].get<std::string>() + "`";
  if (!diff["at"].is_null()) out += " at " + diff["at"].get<std::string>();
  const auto& changes = diff["changes"];
  out += "\n\n" + std::to_string(changes.size()) + (changes.size() == 1 ? " class changes" : " classes change") + ".\n";
  if (!changes.empty()) {
    out += "\n| class | when | changed | before | after | sample |\n|---|---|---|---|---|---|\n";
    for (const auto& c : changes) {
      const std::vector<std::string> fields = c["changed"].get<std::vector<std::string>>();
      auto cell = [](std::string s) {
        std::string o;
        for (char ch : s) {
          if (ch == '\n') {
            o += "<br>";
          } else if (ch == '|') {
            o += "\\|";
          } else {
            o += ch;
          }
        }
        return o;
      };
      std::string when = Conditions(c["conditions"], " ∧ ");
      const std::string time = TimeText(c["time"]);
      if (!time.empty()) when += " ∧ " + time.substr(8, time.size() - 9);
      out += "| " + c["id"].get<std::string>() + " (" + c["subject"].get<std::string>() + ") | " + cell(when) + " | " +
             cell(Conditions(c["changed"], ", ")) + " | " + cell(Brief(c["before"], fields)) + " | " +
             cell(Brief(c["after"], fields)) + " | `" + cell(c["sample"].dump()) + "` |\n";
    }
  }
  if (!diff["registry"].empty()) {
    out += "\nRegistry changes:\n\n";
    for (const auto& r : diff["registry"]) out += "- `" + r["account"].get<std::string>() + "`: " + r["change"].get<std::string>() + "\n";
  }
  if (diff.contains("traffic")) {
    const auto& t = diff["traffic"];
    out += "\nTraffic: " + std::to_string(t["changed"].get<size_t>()) + " of " + std::to_string(t["requests"].get<size_t>()) +
           " requests change.\n";
  }
  return out;
}

}  // namespace statemark
