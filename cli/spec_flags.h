// Invoke-CauRun's parameters as `kubectl cau run` flags, derived from the field table
// (crd/updaterun_fields.h) so a new spec field gets its flag without an edit here:
//   - a row mirroring one cmdlet parameter: the parameter in kebab case
//     (MaxFailedNodes: --max-failed-nodes, PreUpdateScript: --pre-update-script);
//   - a row of kcau's own, or one mirroring a whole cmdlet (Invoke-CauScan, Stop-CauRun):
//     its JSON name in kebab case (--max-unavailable, --mode, --stop);
//   - a row mirroring several parameters: CauPluginName / CauPluginArguments are the
//     plug-in list (--cau-plugin-name NAME [--cau-plugin-arguments k=v,k=v], repeated per
//     plug-in); an enum row's switch parameters each set one value (ForcePauseNoDrain: drain
//     Skip) and the row also takes its JSON name (--drain Force); any other row takes its JSON
//     name.
// Values are read by the row's kind: a boolean is a switch (--what-if, --what-if=false), an
// integer must be one, an enum is one of its names (any case), a string list is
// comma-separated (and repeatable), int-or-percent is "2" or "25%", an object is YAML
// ("{configMap: hooks, key: pre.sh}") or a compact form: a label selector for
// --cluster-name, CONFIGMAP/KEY for the hook scripts, a service account for
// --configuration-name. Every problem names the flag.
// Pure functions, thread-safe (the flag table is built once).
#pragma once

#include <cpprest/json.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/args.h"
#include "common/status.h"
#include "crd/updaterun_fields.h"
#include "crd/updaterun_types.h"

namespace kcau::cli {

struct SpecFlag {
  enum class Form {
    kValue,            // the field's value, read by its kind
    kEnumSwitch,       // a switch setting the field to enum_value
    kPluginName,       // CauPluginName: a plug-in's name (comma-separated: several)
    kPluginArguments,  // CauPluginArguments: key=value,... for the plug-in named before
  };
  std::string name;  // "max-failed-nodes"
  const crd::SpecField* field;
  Form form;
  std::string enum_value;  // kEnumSwitch only
  bool is_switch() const;
  std::string ValueHelp() const;  // "integer", "NoFailback|Immediate|Policy", "" (switch)
};

// "MaxFailedNodes" and "maxFailedNodes" are "max-failed-nodes".
std::string KebabCase(const std::string& name);

const std::vector<SpecFlag>& SpecFlags();
const SpecFlag* FindSpecFlag(const std::string& name);
std::vector<FlagDef> SpecFlagDefs();

// A spec as JSON and, per top-level field, who set it ("--max-failed-nodes", or the file the
// spec came from) so that a problem found later names what to fix.
struct SpecInput {
  web::json::value spec = web::json::value::object();
  std::map<std::string, std::string> origin;  // json name -> "--flag" or "FILE"
};

// `base` (a spec read from `base_source`, or empty) with the spec flags of `args` applied
// over it. `allowed`: the JSON names the verb accepts (empty: all); a spec flag for another
// field is refused naming the flag.
StatusOr<SpecInput> SpecFromFlags(const ParsedArgs& args, SpecInput base,
                                  const std::set<std::string>& allowed = {});

// Decodes (types) and validates (crd::ValidateUpdateRunSpec) the spec; every problem is
// named by the flag or file that set its field. `selected_nodes`: the nodes the selector
// selects, or nullptr when there is no cluster to ask (a dry run): the checks that depend on
// the cluster (nodeOrder's names exist, maxFailedNodes below the node count) are then left
// to the controller, every other one is made.
StatusOr<crd::UpdateRunSpec> CheckSpec(const SpecInput& input,
                                       const std::vector<std::string>* selected_nodes);

}  // namespace kcau::cli
