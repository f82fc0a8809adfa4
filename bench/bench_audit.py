"""What kcau-sim's audit log (sim/audit_log.h) says about one UpdateRun: its makespan, the
controller's writes, and how fast the controller reacts when a node is handed back to it.

Every line carries requestReceivedTimestamp (microseconds). The simulated agents' result
writes are in the log too (the agents' user, bound to the node), annotated with the result's
state and whether a reboot follows; so are the simulated kubelets' status writes (user
system:node:NAME), with the node's Ready condition and, when it booted anew, its boot ID.
"""

import bisect
import collections
import datetime
import json

CONTROLLER_AGENT = "kcau-controller/"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
AGENT_STATE = "sim.kcau.io/agent-state"
REBOOT_REQUIRED = "sim.kcau.io/reboot-required"


def timestamp(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def timed_entries(lines):
    """The log's lines that carry a time, as (time, entry, whether the controller made it)."""
    for line in lines:
        if not line.strip():
            continue
        e = json.loads(line)
        if "requestReceivedTimestamp" in e:
            yield (timestamp(e["requestReceivedTimestamp"]), e,
                   e["userAgent"].startswith(CONTROLLER_AGENT))


def creates_the_run(e, controller):
    """Whether the entry is someone other than the controller (kubectl) creating an UpdateRun."""
    return e["resource"] == "updateruns" and e["verb"] == "create" and not controller


def percentile(sorted_values, p):
    """Nearest rank: the smallest value at or above p percent of the values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


class RunAudit:
    def __init__(self):
        self.makespan_s = None
        self.writes = 0
        self.writes_by_kind = collections.Counter()
        self.evictions = 0
        self.lease_writes = 0
        self.reactions = 0
        self.reaction_ms = {}


def analyse(path, run_name):
    with open(path) as f:
        entries = list(timed_entries(f))
    created = None  # when the UpdateRun was created (by kubectl)
    last_status_write = None
    node_writes = collections.defaultdict(list)  # node -> times of the controller's writes
    node_back = []  # (time, node): its agent ended the update, nothing left but the uncordon
    audit = RunAudit()
    for t, e, controller in entries:
        if creates_the_run(e, controller) and created is None:
            created = t
        annotations = e.get("annotations", {})
        if annotations.get(AGENT_STATE) == "Installed" and \
                annotations.get(REBOOT_REQUIRED) == "false":
            node_back.append((t, e["name"]))
        if not controller or e["verb"] not in WRITE_VERBS or created is None or t < created:
            continue
        if e["resource"] == "pods" and e["subresource"] == "eviction":
            audit.evictions += 1
            continue
        if e["resource"] == "leases":
            audit.lease_writes += 1
            continue
        audit.writes += 1
        kind = e["resource"] + ("/" + e["subresource"] if e["subresource"] else "")
        audit.writes_by_kind[f"{e['verb']} {kind}"] += 1
        if e["resource"] == "updateruns" and e["subresource"] == "status" and \
                e["name"] == run_name:
            last_status_write = t
        if e["resource"] == "nodes":
            node_writes[e["name"]].append(t)
    if created is not None and last_status_write is not None:
        audit.makespan_s = last_status_write - created
    reactions = []
    for t, node in node_back:
        writes = node_writes.get(node, [])
        i = bisect.bisect_right(writes, t)
        if i < len(writes):
            reactions.append((writes[i] - t) * 1000.0)
    reactions.sort()
    audit.reactions = len(reactions)
    if reactions:
        audit.reaction_ms = {"p50": percentile(reactions, 50), "p99": percentile(reactions, 99),
                             "max": reactions[-1]}
    return audit
