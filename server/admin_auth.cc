#include "server/admin_auth.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace statemark::server {
namespace {

std::string_view Trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool LoadAdminToken(const ServerOptions& options, std::string* token, std::string* error) {
  token->clear();
  if (!options.admin_token_file.empty()) {
    std::ifstream in(options.admin_token_file, std::ios::binary);
    if (!in) {
      *error = "cannot read admin token file `" + options.admin_token_file +
               "`: " + std::strerror(errno);
      return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    *token = std::string(Trim(text.str()));
    if (token->empty()) {
      *error = "admin token file `" + options.admin_token_file + "` is empty";
      return false;
    }
    return true;
  }
  if (!options.admin_token_env.empty()) {
    if (const char* value = std::getenv(options.admin_token_env.c_str())) {
      *token = std::string(Trim(value));
    }
  }
  return true;
}

AuthResult CheckBearer(std::string_view configured, std::string_view authorization) {
  if (configured.empty()) return AuthResult::kDisabled;
  authorization = Trim(authorization);
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme)) {
    return AuthResult::kMissing;
  }
  const std::string_view given = Trim(authorization.substr(kScheme.size()));
  return ConstantTimeEquals(given, configured) ? AuthResult::kOk : AuthResult::kWrong;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer string is visited whatever the contents; the volatile
  // accumulator keeps the compiler from stopping early.
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

}  // namespace statemark::server
