#include "server/wire.h"

#include <utility>

#include "engine/decision_json.h"

namespace statemark::server::wire {

int HttpStatus(std::string_view code) {
  static constexpr std::pair<std::string_view, int> kStatuses[] = {
      {kInvalidRequest, 400},  {kInvalidJson, 400},
      {kBodyTooLarge, 413},    {kUnsupportedMediaType, 415},
      {kPolicyNotLoaded, 503}, {kUnauthorized, 401},
      {kNotFound, 404},        {kInternalError, 500},
      {kReloadDisabled, 403},  {kMethodNotAllowed, 405},
      {kPolicyInvalid, 422},   {kHeadersTooLarge, 431},
  };
  for (const auto& [c, status] : kStatuses) {
    if (c == code) return status;
  }
  return 500;
}

void AppendError(std::string_view code, std::string_view message, std::string_view path,
                 std::string* out) {
  out->append("{\"error\":{\"code\":");
  AppendJsonString(code, out);
  out->append(",\"message\":");
  AppendJsonString(message, out);
  out->append(",\"path\":");
  AppendJsonString(path, out);
  out->append("}}");
}

std::string ErrorBody(std::string_view code, std::string_view message, std::string_view path) {
  std::string out;
  AppendError(code, message, path, &out);
  return out;
}

bool IsJsonContentType(std::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  if (type.size() != kJson.size()) return false;
  for (size_t i = 0; i < type.size(); ++i) {
    const char c = type[i] >= 'A' && type[i] <= 'Z' ? static_cast<char>(type[i] + 32) : type[i];
    if (c != kJson[i]) return false;
  }
  return true;
}

}  // namespace statemark::server::wire
