// Wire contract of the decision service: error codes, their HTTP statuses, and the
// error body. See docs/service.md.
//
// Every error the service answers is
//   {"error": {"code": "<code>", "message": "<one line>", "path": "<JSON path or empty>"}}
// with the status below. Some answers add fields next to `error` (a failed reload
// adds `diagnostics`), never inside it.
//
// DO NOT RENAME OR RENUMBER: clients switch on these codes and statuses. Add new codes
// at the end.
//
// Thread safety: constants and pure functions.
#ifndef STATEMARK_SERVER_WIRE_H_
#define STATEMARK_SERVER_WIRE_H_

#include <string>
#include <string_view>

namespace statemark::server::wire {

// 400: the request (or a batch item) is not a valid request for the loaded policy:
// wrong types, a missing required field, a value outside the policy's vocabulary.
inline constexpr std::string_view kInvalidRequest = "invalid_request";
// 400: the body is not JSON (or nests deeper than the limit).
inline constexpr std::string_view kInvalidJson = "invalid_json";
// 413: the body is over the size limit.
inline constexpr std::string_view kBodyTooLarge = "body_too_large";
// 415: a POST body that is not `Content-Type: application/json`.
inline constexpr std::string_view kUnsupportedMediaType = "unsupported_media_type";
// 503: no policy has loaded yet.
inline constexpr std::string_view kPolicyNotLoaded = "policy_not_loaded";
// 401: the reload endpoint needs `Authorization: Bearer <token>`, and it was missing
// or wrong.
inline constexpr std::string_view kUnauthorized = "unauthorized";
// 404: no such endpoint.
inline constexpr std::string_view kNotFound = "not_found";
// 500: a bug, or a decision the engine could not complete.
inline constexpr std::string_view kInternalError = "internal_error";
// 403: the reload endpoint is disabled because no admin token is configured.
inline constexpr std::string_view kReloadDisabled = "reload_disabled";
// 405: the endpoint exists but not for this method.
inline constexpr std::string_view kMethodNotAllowed = "method_not_allowed";
// 422: a reload found errors in the rules; the previous policy keeps serving.
inline constexpr std::string_view kPolicyInvalid = "policy_invalid";
// 431: too many header lines or header bytes.
inline constexpr std::string_view kHeadersTooLarge = "headers_too_large";

// The HTTP status that goes with `code` (500 for a code not listed above).
int HttpStatus(std::string_view code);

// Appends the error body. `path` is the JSON path of the offending value, empty when
// the error is about the request as a whole.
void AppendError(std::string_view code, std::string_view message, std::string_view path,
                 std::string* out);
std::string ErrorBody(std::string_view code, std::string_view message, std::string_view path = "");

inline constexpr const char* kJsonContentType = "application/json";

// Whether a Content-Type header value names JSON: `application/json`, in any case,
// with or without parameters (`; charset=utf-8`).
bool IsJsonContentType(std::string_view content_type);

}  // namespace statemark::server::wire

#endif  // STATEMARK_SERVER_WIRE_H_
