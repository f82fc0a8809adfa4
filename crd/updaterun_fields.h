// The UpdateRun spec's fields, one row each: the JSON name, the kind of value, how it is
// read into and written from UpdateRunSpec, the Invoke-CauRun parameter it mirrors, and
// whether the controller honours it yet. The spec decoder and encoder
// (crd/updaterun_codec.h), the reconciler's unsupported-field check
// (reconcilers/supported_fields.h) and the tests comparing the code with the CRD's schema
// (crd/updaterun-crd.yaml) all walk this table, so none of them lists fields by hand.
//
// Adding a spec field: its member in crd/updaterun_types.h, its row here (in
// updaterun_fields.cc), its schema in the CRD YAML, then its behaviour. Integer bounds are
// kept with validation (SpecIntegerFields in crd/validation.h); a test checks that every
// integer row has them.
//
// The table is built once, on first use, and read-only after: thread-safe.
#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>
#include <vector>

#include "crd/updaterun_types.h"

namespace kcau::crd {

// What a field holds, as the CRD's schema types it.
enum class FieldKind {
  kBoolean,       // type: boolean
  kInteger,       // type: integer
  kDuration,      // type: string, a duration ("1h30m", "01:30:00")
  kEnum,          // type: string with an enum of the row's enum_names
  kStringList,    // type: array of strings
  kIntOrPercent,  // x-kubernetes-int-or-string
  kObject,        // type: object
  kObjectList,    // type: array of objects
};

const char* FieldKindName(FieldKind kind);  // "boolean", "duration", "object list"...

// Whether the controller implements a field. A run setting a field it does not fails
// (reason Unsupported) naming it, rather than having it silently ignored.
enum class Honoured { kYes, kNotYet };

// Whether an edit of the field made after the run started is applied to the running run
// (reconcilers/spec_edits.h, docs/spec-edits.md): the pacing, the failure budget, the
// timeouts and the stop controls are; what decides which nodes and what runs on them is
// fixed when the run starts.
enum class MidRunEdit { kFixedAtStart, kApplied };

struct SpecField {
  std::string json_name;  // "maxFailedNodes"; its JSON path is "spec." + json_name
  FieldKind kind;
  std::vector<std::string> enum_names;  // kEnum only: the accepted values, in the API's order
  // The CAU parameter (or cmdlet) the field mirrors: "MaxFailedNodes", "CauPluginName,
  // CauPluginArguments", "Stop-CauRun". Empty only when kcau_own.
  std::string cmdlet_parameter;
  bool kcau_own;  // beyond CAU: no cmdlet parameter has this meaning
  Honoured honoured;
  MidRunEdit mid_run_edit;
  // Reads the field's JSON value (at `path`) into its member of `spec`. Throws
  // jsonio::DecodeError naming the path of the problem: call it through DecodeUpdateRunSpec.
  void (*decode)(const web::json::value& item, const std::string& path, UpdateRunSpec& spec);
  // The field's JSON value, or nullopt when the spec leaves it unset (it is then omitted).
  std::optional<web::json::value> (*encode)(const UpdateRunSpec& spec);

  std::string Path() const { return "spec." + json_name; }
};

// Every spec field, in the order of UpdateRunSpec.
const std::vector<SpecField>& SpecFields();

// The row of the field named `json_name`, or nullptr for a field the API does not have.
const SpecField* FindSpecField(const std::string& json_name);

}  // namespace kcau::crd
