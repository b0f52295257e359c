#include "engine/decision_table.h"

namespace statemark {
namespace {

std::string Join(const nlohmann::json& list, const std::string& sep) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : sep) + (item.is_string() ? item.get<std::string>() : item.dump());
  return out;
}

std::string AdsText(const nlohmann::json& ads) {
  std::string out;
  for (const auto& a : ads) {
    std::string entry = a["rule"].get<std::string>() + ": ";
    if (a.contains("deny_all")) entry += "deny_all";
    if (a.contains("allow_only")) entry += "allow_only " + Join(a["allow_only"], "+");
    if (a.contains("deny")) entry += "deny " + Join(a["deny"], "+");
    if (a.contains("lifted_by")) entry += " (lifted by " + Join(a["lifted_by"], ", ") + ")";
    out += (out.empty() ? "" : "; ") + entry;
  }
  return out;
}

// The row of a class: the columns named in the header comment.
std::vector<std::string> Row(const nlohmann::json& c, const nlohmann::json& order) {
  const nlohmann::json& d = c["decision"];
  std::string surfaces;
  for (const auto& surface : order) {
    const std::string name = surface.get<std::string>();
    surfaces += (surfaces.empty() ? "" : " ") + name + "=" + d["surfaces"][name].get<std::string>();
  }
  std::string labels;
  for (const auto& l : d["labels"]) {
    labels += (labels.empty() ? "" : "; ") + l["id"].get<std::string>() + " @ " + Join(l["placements"], "+");
  }
  auto time = [](const nlohmann::json& t) { return t.is_null() ? std::string() : t.get<std::string>(); };
  return {c["id"].get<std::string>(),
          c["subject"].get<std::string>(),
          time(c["time"]["from"]),
          time(c["time"]["until"]),
          Join(c["conditions"], " ∧ "),
          surfaces,
          labels,
          d["notice"].is_null() ? "" : d["notice"].get<std::string>(),
          Join(d["friction"], "+"),
          d["monetization"].get<std::string>(),
          d.contains("ads") ? AdsText(d["ads"]) : "",
          Join(c["rules"], " "),
          Join(c["matched"], " "),
          c["sample"].dump()};
}

const std::vector<std::string> kColumns = {"class",        "subject", "from",  "until", "conditions",
                                           "surfaces",     "labels",  "notice", "friction", "monetization",
                                           "ads",          "rules",   "matched", "sample"};

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string MarkdownCell(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') {
      out += "\\|";
    } else if (ch == '\n') {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

Result<nlohmann::json> DecisionTableJson(const CompiledPolicy& policy, const TableOptions& options) {
  SpaceOptions so;
  so.at = options.at;
  Result<DecisionSpace> space = EnumerateDecisionSpace(policy, so);
  if (!space.ok()) return space.diagnostics();
  nlohmann::json j;
  j["policy_version"] = policy.version();
  j["at"] = options.at ? nlohmann::json(FormatRfc3339(*options.at)) : nlohmann::json(nullptr);
  j["surfaces"] = policy.vocabulary().surfaces;  // in declared order, for the renderers
  nlohmann::json classes = nlohmann::json::array();
  for (const DecisionClass& c : space.value().classes) {
    nlohmann::json cj = DecisionClassJson(policy, c);
    if (options.at) cj["time"] = {{"from", nullptr}, {"until", nullptr}};  // one instant: `at`
    classes.push_back(std::move(cj));
  }
  j["classes"] = std::move(classes);
  j["limits"] = space.value().limits;
  return j;
}

std::string DecisionTableCsv(const nlohmann::json& table) {
  std::string out;
  for (size_t i = 0; i < kColumns.size(); ++i) out += (i ? "," : "") + kColumns[i];
  out += "\n";
  for (const auto& c : table["classes"]) {
    const std::vector<std::string> row = Row(c, table["surfaces"]);
    for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + CsvCell(row[i]);
    out += "\n";
  }
  return out;
}

std::string DecisionTableMarkdown(const nlohmann::json& table) {
  std::string out = "Decision table of policy `" + table["policy_version"].get<std::string>() + "`";
  if (!table["at"].is_null()) out += " at " + table["at"].get<std::string>();
  out += ": " + std::to_string(table["classes"].size()) + " classes.\n\n|";
  for (const std::string& c : kColumns) out += " " + c + " |";
  out += "\n|";
  for (size_t i = 0; i < kColumns.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& c : table["classes"]) {
    out += "|";
    std::vector<std::string> row = Row(c, table["surfaces"]);
    row.back() = "`" + row.back() + "`";
    for (const std::string& cell : row) out += " " + MarkdownCell(cell) + " |";
    out += "\n";
  }
  for (const auto& l : table["limits"]) out += "\nLimit: " + l.get<std::string>() + "\n";
  return out;
}

}  // namespace statemark
