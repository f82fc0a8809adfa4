r"""Where a node's time goes in a benchmark run, from kcau-sim's audit log (KCAU_E2E_AUDIT_DIR
keeps it): each step of each node's update as a distribution, how much of the run the
maxUnavailable slots were in use, and how long a freed slot waited for its next node.

    KCAU_E2E_AUDIT_DIR=/tmp/audit python3 bench/controller_bench.py build . \
        --only 5000/10%/realistic
    python3 bench/node_timeline.py /tmp/audit/kcau-e2e-*.jsonl 500

It reads the runs `make bench` makes: every node scanned before it is taken, then four
controller writes to its Node (scan request, cordon, update request, uncordon) and the
simulated agent's results (Installing, Scanned, Installing, Installed with a reboot,
Installing after it, Installed). A node written otherwise (a retry, a cordon made again) is
left out and counted.
"""

import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_audit import (AGENT_STATE, REBOOT_REQUIRED, WRITE_VERBS,  # noqa: E402
                         creates_the_run, percentile, timed_entries)

STEPS = [
    ("scan request -> Scanned", "scan_request", "scanned"),
    ("Scanned -> cordon (waits for a slot)", "scanned", "cordon"),
    ("cordon -> update request (drain)", "cordon", "update_request"),
    ("update request -> agent begins", "update_request", "install_begins"),
    ("install round", "install_begins", "installed"),
    ("reboot", "installed", "rescan_begins"),
    ("re-scan round", "rescan_begins", "back"),
    ("back -> uncordon (reaction)", "back", "uncordon"),
    ("in flight (cordon -> uncordon)", "cordon", "uncordon"),
]


def read(lines):
    """The run's creation time, each node's controller writes and agent results (time-sorted)."""
    created = None
    writes = collections.defaultdict(list)
    results = collections.defaultdict(list)
    for t, e, controller in timed_entries(lines):
        if creates_the_run(e, controller) and created is None:
            created = t
        annotations = e.get("annotations", {})
        if AGENT_STATE in annotations:
            results[e["name"]].append(
                (t, annotations[AGENT_STATE], annotations.get(REBOOT_REQUIRED) == "true"))
        if controller and e["verb"] in WRITE_VERBS and e["resource"] == "nodes" and \
                not e["subresource"] and created is not None and t >= created:
            writes[e["name"]].append(t)
    for v in list(writes.values()) + list(results.values()):
        v.sort()
    return created, writes, results


def first(results, after, state, reboot=None):
    for t, s, r in results:
        if t > after and s == state and (reboot is None or r == reboot):
            return t
    return None


def node_times(writes, results):
    """Each node's moments (STEPS' names), or None when it was written otherwise."""
    if len(writes) != 4:
        return None
    scan_request, cordon, update_request, uncordon = writes
    m = {"scan_request": scan_request, "cordon": cordon, "update_request": update_request,
         "uncordon": uncordon}
    m["scanned"] = first(results, scan_request, "Scanned")
    m["install_begins"] = first(results, update_request, "Installing")
    m["installed"] = first(results, update_request, "Installed", reboot=True)
    m["rescan_begins"] = first(results, m["installed"] or uncordon, "Installing")
    m["back"] = first(results, m["rescan_begins"] or uncordon, "Installed", reboot=False)
    return None if None in m.values() else m


def slot_use(spans, concurrency):
    """The share of the slots' time in use, from the first cordon to the last uncordon."""
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    busy = area = 0.0
    last = edges[0][0]
    for t, d in edges:
        area += busy * (t - last)
        busy += d
        last = t
    return area / (concurrency * (edges[-1][0] - edges[0][0]))


def hand_overs(spans, concurrency):
    """The slot the k-th uncordon frees is the (k + concurrency)-th cordon's: how long each
    waited."""
    cordons = sorted(a for a, _ in spans)
    uncordons = sorted(b for _, b in spans)
    return [cordons[k + concurrency] - uncordons[k] for k in range(len(cordons) - concurrency)]


def describe(values):
    v = sorted(values)
    return "p10 %.3f  p50 %.3f  p90 %.3f  p99 %.3f  mean %.3f s" % (
        percentile(v, 10), percentile(v, 50), percentile(v, 90), percentile(v, 99),
        sum(v) / len(v))


def report(lines, concurrency):
    created, writes, results = read(lines)
    times = {n: node_times(w, results.get(n, [])) for n, w in writes.items()}
    kept = [m for m in times.values() if m is not None]
    out = [f"{len(kept)} nodes read, {len(times) - len(kept)} written otherwise (left out)"]
    if not kept:
        return out
    for name, start, end in STEPS:
        out.append(f"{name:40s} {describe([m[end] - m[start] for m in kept])}")
    spans = [(m["cordon"], m["uncordon"]) for m in kept]
    out.append("first cordon %.3f s after the run's creation" %
               (min(a for a, _ in spans) - created))
    out.append("slots in use %.1f%% of the time (%d slots)" %
               (100 * slot_use(spans, concurrency), concurrency))
    waits = hand_overs(spans, concurrency)
    if waits:
        out.append(f"{'a freed slot until its next cordon':40s} {describe(waits)}")
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: node_timeline.py AUDIT_LOG CONCURRENCY")
    with open(sys.argv[1]) as f:
        print("\n".join(report(f, int(sys.argv[2]))))


if __name__ == "__main__":
    main()
