#include "agent/host.h"

namespace kcau::agent {

const char* RebootKindName(RebootKind kind) {
  switch (kind) {
    case RebootKind::kFull:
      return "full";
    case RebootKind::kSoft:
      return "soft";
    case RebootKind::kKexec:
      return "kexec";
  }
  return "unknown";
}

}  // namespace kcau::agent
