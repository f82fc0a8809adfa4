#include "agent/errno_status.h"

#include <cerrno>
#include <cstring>

namespace kcau::agent {

Status ErrnoStatus(int error, const std::string& what) {
  char buffer[256];
  // GNU strerror_r returns the message, which may or may not be the buffer.
  std::string message = what + ": " + strerror_r(error, buffer, sizeof(buffer));
  switch (error) {
    case ENOENT:
      return NotFoundError(std::move(message));
    case EACCES:
    case EPERM:
    case EROFS:
      return UnauthorizedError(std::move(message));
    case EEXIST:
      return AlreadyExistsError(std::move(message));
    case EINVAL:
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
    case ELOOP:
    case ENAMETOOLONG:
    case E2BIG:
    case ENOEXEC:
      return InvalidArgumentError(std::move(message));
    case EAGAIN:
    case EINTR:
    case EBUSY:
    case ENOSPC:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return UnavailableError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

}  // namespace kcau::agent
