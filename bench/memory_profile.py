"""Where kcau-controller's memory goes in one 5,000-node run (50,000 pods, 10%, realistic
timings) against kcau-sim: the resident set before the run and at its peak, split into the
heap and the libraries' pages (/proc/PID/status every 100 ms), glibc's arenas mid-run
(malloc_stats through gdb), and with --heaptrack the largest holders at the heap's peak,
each named by the innermost frame of its stack that mentions kcau. A tool for looking, run by hand;
it asserts nothing (docs/bench.md, "Memory since 4462b54").

Usage: memory_profile.py BUILD_DIR OUT_PREFIX [--heaptrack] [--malloc-stats]
  --heaptrack     run the controller under heaptrack (it runs 2-3x slower, and what waits
                  in HTTP buffers grows with it); writes OUT_PREFIX.heaptrack.zst
  --malloc-stats  glibc's malloc_stats at 15, 30 and 45 s into the run, from the
                  controller's log (OUT_PREFIX.controller.log)
Writes OUT_PREFIX.samples.json (one sample every 100 ms). --heaptrack needs Debian's
heaptrack package and --malloc-stats its gdb; `make deps` installs neither, as nothing else
needs them.
"""

import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controller_bench as bench  # noqa: E402
import harness  # noqa: E402  (controller_bench put tests/e2e on the path)

FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads")


def proc_status(pid):
    sample = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, value = line.split(":", 1)
            if key in FIELDS:
                sample[key] = int(value.split()[0])
    return sample


def stop_under_heaptrack(pid):
    """Stops the controller heaptrack runs. The harness stops heaptrack's script, which does
    not pass the signal on: left alone, the controller ran on (retrying its lost API server
    on the cores the next measurement shares) and heaptrack never finished its file."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + 30
    while time.time() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.2)
    if os.path.exists(f"/proc/{pid}"):
        os.kill(pid, signal.SIGKILL)
    # heaptrack's own process writes the file once the controller is gone.
    time.sleep(2)


def wrapped_build(build, prefix, heaptrack):
    """A build directory whose kcau-controller runs the real one, under heaptrack if asked
    (the harness starts BUILD/controller/kcau-controller)."""
    wrap = tempfile.mkdtemp(prefix="kcau-memory-")
    for name in ("sim", "agent"):
        os.makedirs(os.path.join(wrap, name))
        os.symlink(os.path.join(build, name, f"kcau-{name}"),
                   os.path.join(wrap, name, f"kcau-{name}"))
    os.makedirs(os.path.join(wrap, "controller"))
    script = os.path.join(wrap, "controller", "kcau-controller")
    under = f"heaptrack -o {prefix}.heaptrack " if heaptrack else ""
    with open(script, "w") as f:
        f.write(f'#!/bin/sh\nexec {under}{build}/controller/kcau-controller "$@"\n')
    os.chmod(script, 0o755)
    return wrap


def peak_holders(prefix, top=25):
    """heaptrack's peak, summed by the innermost frame of each stack that mentions kcau::
    (a standard container's frame when kcau's type is in its signature)."""
    flame = prefix + ".peak.txt"
    subprocess.run(["heaptrack_print", "-f", prefix + ".heaptrack.zst", "--print-peaks", "0",
                    "--print-allocators", "0", "--print-temporary", "0", "--print-leaks", "0",
                    "--print-flamegraph", flame, "--flamegraph-cost-type", "peak"],
                   capture_output=True, check=True)
    holders, total = collections.Counter(), 0
    with open(flame) as f:
        for line in f:
            stack, _, cost = line.rstrip().rpartition(" ")
            total += int(cost)
            ours = [frame for frame in stack.split(";") if "kcau::" in frame]
            holders[re.sub(r"\(.*", "", ours[-1]) if ours else "(outside kcau)"] += int(cost)
    print(f"heap at heaptrack's peak: {total / 1e6:.1f} MB; largest holders:")
    for name, cost in holders.most_common(top):
        print(f"  {cost / 1e6:6.2f} MB  {name}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    build, prefix = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    heaptrack, malloc_stats = "--heaptrack" in sys.argv, "--malloc-stats" in sys.argv
    wrap = wrapped_build(build, prefix, heaptrack)
    workdir = tempfile.mkdtemp(prefix="kcau-memory-")
    scenario = os.path.join(workdir, "scenario.yaml")
    with open(scenario, "w") as f:
        f.write(bench.scenario_yaml(5000, "realistic"))
    cluster = harness.Cluster(wrap, sim_args=["--scenario", scenario],
                              controller_args=bench.CONTROLLER_ARGS)
    pid = None
    try:
        pid = cluster.controller.pid
        if heaptrack:  # the wrapper's child: heaptrack runs the controller
            found = subprocess.run(["pgrep", "-n", "-f", f"{build}/controller/kcau-controller"],
                                   capture_output=True, text=True).stdout.split()
            pid = int(found[0])
        samples, stop = [], threading.Event()

        def sample():
            started = time.time()
            while not stop.is_set():
                try:
                    samples.append({"t": time.time() - started, **proc_status(pid)})
                except OSError:
                    return
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        time.sleep(1)
        before = samples[-1]
        manifest = {"apiVersion": "kcau.io/v1alpha1", "kind": "UpdateRun",
                    "metadata": {"name": "memory"},
                    "spec": {"plugins": [{"name": "packages"}], "maxUnavailable": "10%"}}
        run_started = time.time()
        cluster.kubectl_run("apply", "-f", "-", input=json.dumps(manifest))
        status = bench.StatusSampler(cluster, "memory")
        if malloc_stats:
            for at in (15, 30, 45):
                time.sleep(max(0, run_started + at - time.time()))
                subprocess.run(["gdb", "-batch", "-p", str(pid), "-ex",
                                "call (void)malloc_stats()"], capture_output=True)
        ended = status.wait(bench.RUN_TIMEOUT_S)
        stop.set()
        sampler.join()
        shutil.copy(os.path.join(cluster.dir, "controller.log"), prefix + ".controller.log")
    finally:
        cluster.stop()
        if heaptrack and pid is not None:
            stop_under_heaptrack(pid)
    with open(prefix + ".samples.json", "w") as f:
        json.dump(samples, f)
    phase = ended["status"].get("phase") if ended else "not ended"
    peak = max(samples, key=lambda s: s["VmRSS"])
    print(f"run: {phase} in {time.time() - run_started:.0f} s")
    for label, s in (("before the run", before), ("peak", peak)):
        print(f"{label}: resident {s['VmRSS'] / 1024:.1f} MiB = heap and stacks "
              f"{s['RssAnon'] / 1024:.1f} + libraries {s['RssFile'] / 1024:.1f}; "
              f"{s['Threads']} threads")
    print(f"VmHWM: {samples[-1]['VmHWM'] / 1024:.1f} MiB")
    if malloc_stats:
        with open(prefix + ".controller.log") as f:
            totals = re.findall(r"Total \(incl. mmap\):\s+system bytes\s+=\s+(\d+)\s+"
                                r"in use bytes\s+=\s+(\d+)", f.read())
        for held, used in totals:
            print(f"glibc: {int(used) / 1e6:.1f} MB in use of {int(held) / 1e6:.1f} MB held")
    if heaptrack:
        peak_holders(prefix)


if __name__ == "__main__":
    main()
