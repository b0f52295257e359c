// The admin bearer token that guards POST /v1/policy/reload.
//
// The token comes from a file (ServerOptions::admin_token_file) or, failing that,
// from an environment variable (ServerOptions::admin_token_env); it is read once at
// start. With neither, the reload endpoint is disabled (403); SIGHUP and --watch
// still reload, since they need access to the host anyway. The comparison takes time
// that depends only on the lengths, never on where the first differing byte is.
//
// Thread safety: pure functions.
#ifndef STATEMARK_SERVER_ADMIN_AUTH_H_
#define STATEMARK_SERVER_ADMIN_AUTH_H_

#include <string>
#include <string_view>

#include "server/options.h"

namespace statemark::server {

// Reads the configured token into *token ("" when none is configured). Returns false
// with *error when a token file is named but cannot be read or is empty.
bool LoadAdminToken(const ServerOptions& options, std::string* token, std::string* error);

enum class AuthResult {
  kOk,
  kDisabled,  // no token configured: 403
  kMissing,   // no `Authorization: Bearer ...` header: 401
  kWrong,     // a bearer token that does not match: 401
};

// Checks an Authorization header value against the configured token.
AuthResult CheckBearer(std::string_view configured, std::string_view authorization);

// a == b in time that depends on the lengths only.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_ADMIN_AUTH_H_
