// What a running run does with an edit of its spec.
//
// A run applies its spec as it was when it started (status.appliedSpec), except the fields
// that only pace it, bound it or stop it, which an operator must be able to change while it
// runs (the rows of crd/updaterun_fields.h marked MidRunEdit::kApplied: maxUnavailable, the
// failure budget and retries, the timeouts, warnAfter/stopAfter, stop, failbackMode,
// skipUpdateChecks, forceRecovery, settle). Every
// other field decides *what* is done to a node or *which* nodes (plug-ins and their
// arguments, hooks and whom they run as, reboot mode, drain, the selector and orders) and
// is kept as started: half the nodes patched one way and half another, or a hook identity
// changed after the admin's checks, would make the run's report a lie. A live edit the
// validation refuses is not applied either. Both kinds are said in status (condition
// SpecApplied) and, once per edit, in an Event. See docs/spec-edits.md.
//
// Pure functions over JSON, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "crd/validation.h"
#include "kube/json.h"

namespace kcau::reconcilers {

// JSON names of the spec fields a running run applies when edited, from the field table.
const std::vector<std::string>& LiveSpecFields();

struct FieldChange {
  std::string field;  // "spec.maxUnavailable"
  std::string from;   // compact JSON, "(unset)" when absent
  std::string to;
  std::string why;  // for a change not applied: why not
  bool operator==(const FieldChange&) const = default;
};

struct SpecEdit {
  kube::Json effective;              // the spec the run applies from now on
  std::vector<FieldChange> applied;  // live fields whose new value is in `effective`
  std::vector<FieldChange> ignored;  // edits kept out of `effective`
};

// `written`: the spec as it is now in the API server; `applied`: status.appliedSpec.
SpecEdit ReconcileSpecEdit(const kube::Json& written, const kube::Json& applied);

// Drops the live changes of `edit` whose new value `errors` refuses (validation of
// `edit.effective`): they are kept at `applied`'s value and move to `edit.ignored`.
void RefuseInvalidChanges(SpecEdit& edit, const kube::Json& applied,
                          const std::vector<crd::FieldError>& errors);

// "spec.maxUnavailable: 1 -> 2; spec.stop: (unset) -> true"
std::string DescribeChanges(const std::vector<FieldChange>& changes, bool with_why);

}  // namespace kcau::reconcilers
