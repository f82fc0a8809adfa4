// The UpdateRun `kubectl cau run` and `scan` create: its generated name, the object, and the
// spec fragment a user may give with -f (an UpdateRun manifest, or a bare spec) for what
// flags do not say compactly. Pure functions (ReadSpecFile reads one file), thread-safe.
#pragma once

#include <cpprest/json.h>

#include <string>

#include "cli/spec_flags.h"
#include "common/clock.h"
#include "common/status.h"

namespace kcau::cli {

// "cau-20261125-100000": `prefix`, then the UTC date and time of `now`.
std::string GeneratedRunName(const std::string& prefix, TimePoint now);

// apiVersion, kind, metadata.name and spec.
web::json::value UpdateRunObject(const std::string& name, const web::json::value& spec);

struct SpecFile {
  SpecInput input;   // its spec, each field's origin the file
  std::string name;  // metadata.name of an UpdateRun manifest; "" for a bare spec
};
// A YAML file holding an UpdateRun (kind: UpdateRun) or the spec alone.
StatusOr<SpecFile> ReadSpecFile(const std::string& path);

}  // namespace kcau::cli
