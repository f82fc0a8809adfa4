// UpdateRun spec <-> JSON by walking the field table (crd/updaterun_fields.h): the decoder
// looks each key of the document up in the table and refuses one it does not have; the
// encoder writes every row that is set. Pure functions, thread-safe.
#include <optional>
#include <utility>

#include "crd/json_reader.h"
#include "crd/updaterun_codec.h"
#include "crd/updaterun_fields.h"

namespace kcau::crd {

namespace {

using web::json::value;

UpdateRunSpec DecodeSpec(const value& v) {
  UpdateRunSpec s;
  // The document's keys in its order, so the first problem reported is the first one there.
  jsonio::Fields(v, "spec", [&](const std::string& k, const value& item, const std::string& p) {
    const SpecField* field = FindSpecField(k);
    if (field == nullptr) return false;
    field->decode(item, p, s);
    // A present field is recorded by name, so the reconciler can refuse one it does not
    // honour.
    s.fields_present.insert(p);
    return true;
  });
  // Not recorded in fields_present: the document did not name it.
  if (s.plugins.empty()) s.plugins.push_back({kDefaultPlugin, {}});
  return s;
}

}  // namespace

StatusOr<UpdateRunSpec> DecodeUpdateRunSpec(const value& spec) {
  try {
    return DecodeSpec(spec);
  } catch (const jsonio::DecodeError& e) {
    return InvalidArgumentError(e.what());
  }
}

value EncodeUpdateRunSpec(const UpdateRunSpec& spec) {
  value o = value::object();
  for (const SpecField& field : SpecFields()) {
    if (std::optional<value> v = field.encode(spec)) o[field.json_name] = std::move(*v);
  }
  return o;
}

}  // namespace kcau::crd
