// The allow-list is the field table's Honoured column (crd/updaterun_fields.h), built once.
// Thread-safe: a function-local static, read-only after its initialisation.
#include "reconcilers/supported_fields.h"

#include "crd/updaterun_fields.h"

namespace kcau::reconcilers {

const std::set<std::string>& SupportedSpecFields() {
  // Grows as each row of README.md's parameter table becomes real.
  static const std::set<std::string> fields = [] {
    std::set<std::string> honoured;
    for (const crd::SpecField& field : crd::SpecFields()) {
      if (field.honoured == crd::Honoured::kYes) honoured.insert(field.Path());
    }
    return honoured;
  }();
  return fields;
}

std::vector<std::string> UnsupportedFieldsIn(const crd::UpdateRunSpec& spec) {
  std::vector<std::string> unsupported;
  for (const auto& field : spec.fields_present) {  // std::set: already sorted
    if (!SupportedSpecFields().count(field)) unsupported.push_back(field);
  }

  return unsupported;
}

}  // namespace kcau::reconcilers
