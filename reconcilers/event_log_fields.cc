#include "reconcilers/event_log_fields.h"

#include "crd/names.h"

namespace kcau::reconcilers {

LogFields EventLogFields(const RunEvent& event, const crd::UpdateRunStatus& decided) {
  LogFields fields = {{"reason", event.reason}};
  for (const auto& node : decided.nodes) {
    if (event.message.rfind(node.name + ": ", 0) != 0) continue;
    fields.emplace_back("node", node.name);
    fields.emplace_back("phase", crd::NodePhaseName(node.phase));
    if (node.blocked) fields.emplace_back("blocked", node.blocked->reason);
    break;
  }
  return fields;
}

}  // namespace kcau::reconcilers
