#include "common/status.h"

namespace kcau {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kConflict:
      return "Conflict";
    case StatusCode::kTooManyRequests:
      return "TooManyRequests";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kGone:
      return "Gone";
    case StatusCode::kUnauthorized:
      return "Unauthorized";
    case StatusCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace kcau
