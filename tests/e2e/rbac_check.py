"""Checks the requests kcau-controller and kcau-agent made against the RBAC rules kcau installs.

As a command, lists what deploy/ grants the controller that no saved run used:
    KCAU_E2E_AUDIT_DIR=/tmp/audits ctest -R e2e   # each run's audit log kept there
    python3 tests/e2e/rbac_check.py --unused /tmp/audits deploy

kcau-sim writes an audit log (--audit-log: one JSON line per resource request, in RBAC's own
terms, with the user its token names). A real API server refuses with 403 anything a
ServiceAccount is not granted; the sim does not enforce RBAC, so this check does it
afterwards: every request whose User-Agent is kcau-controller's must be allowed by the
ClusterRoles bound cluster-wide and the Roles bound in the controller's namespace to its
ServiceAccount, in deploy/*.yaml; and every request whose User-Agent is kcau-agent's (kcau-sim
--real-agents) by those bound to the agent's ServiceAccount, made with that ServiceAccount's
token and touching no Node but the agent's own. The rules are matched as the API server's
RBAC authorizer matches them (apiGroups, resources with "/subresource", resourceNames, verbs,
"*" wildcards).
"""

import glob
import json
import os

import yaml

# The ServiceAccounts deploy/ installs, (name, namespace), and their clients' User-Agents.
SUBJECT = ("kcau-controller", "kcau-system")
CONTROLLER_AGENT = "kcau-controller/"
AGENT_SUBJECT = ("kcau-agent", "kcau-system")
AGENT_USER_AGENT = "kcau-agent/"
AGENT_USER = "system:serviceaccount:kcau-system:kcau-agent"


def load_manifests(deploy_dir):
    docs = []
    for path in sorted(glob.glob(os.path.join(deploy_dir, "*.yaml"))):
        if os.path.basename(path) == "kustomization.yaml":
            continue  # kustomize's own file, not an object
        with open(path) as f:
            docs.extend(d for d in yaml.safe_load_all(f) if d)
    return docs


def _bound_to_subject(binding, subject):
    return any(s.get("kind") == "ServiceAccount" and
               (s.get("name"), s.get("namespace")) == subject
               for s in binding.get("subjects", []))


def grants(docs, subject=SUBJECT):
    """(cluster-wide rules, rules in its namespace) granted to the ServiceAccount `subject`."""
    roles = {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d
             for d in docs if d.get("kind") in ("ClusterRole", "Role")}
    cluster_rules, namespace_rules = [], []
    for d in docs:
        if (d.get("kind") not in ("ClusterRoleBinding", "RoleBinding") or
                not _bound_to_subject(d, subject)):
            continue
        ref = d["roleRef"]
        ns = d["metadata"].get("namespace", "") if ref["kind"] == "Role" else ""
        role = roles.get((ref["kind"], ns, ref["name"]))
        if role is None:
            raise AssertionError(f"{d['kind']} {d['metadata']['name']} binds a missing "
                                 f"{ref['kind']} {ref['name']}")
        rules = role.get("rules", [])
        (cluster_rules if d["kind"] == "ClusterRoleBinding" else namespace_rules).extend(rules)
    return cluster_rules, namespace_rules


def _matches(values, wanted):
    return "*" in values or wanted in values


def _resource_of(request):
    """As RBAC rules name it: "pods", or "pods/eviction" for a subresource."""
    sub = request.get("subresource")
    return request["resource"] + ("/" + sub if sub else "")


def allowed(rule, request):
    if not _matches(rule.get("apiGroups", []), request["apiGroup"]):
        return False
    if not _matches(rule.get("resources", []), _resource_of(request)):
        return False
    if not _matches(rule.get("verbs", []), request["verb"]):
        return False
    names = rule.get("resourceNames")
    # As the authorizer: resourceNames never grant list, watch or create (no name to match).
    return not names or (request["name"] != "" and request["name"] in names)


def _requests_of(audit_path, user_agent):
    with open(audit_path) as f:
        requests = [json.loads(line) for line in f if line.strip()]
    return [r for r in requests if r["userAgent"].startswith(user_agent)]


def controller_requests(audit_path):
    """The requests kcau-controller made, from kcau-sim's audit log."""
    return _requests_of(audit_path, CONTROLLER_AGENT)


def agent_requests(audit_path):
    """The requests the real kcau-agents made, from kcau-sim's audit log."""
    return _requests_of(audit_path, AGENT_USER_AGENT)


def describe(request):
    return (f"{request['verb']} {request['apiGroup'] or 'core'}/{_resource_of(request)}"
            f" in namespace {request['namespace'] or '(cluster)'}"
            f" name {request['name'] or '(none)'}")


def denied_requests(requests, docs, controller_namespaces, subject=SUBJECT):
    """Those of `requests` the RBAC in `docs` would refuse `subject`, one line each, sorted.
    Its Roles in kcau-system stand for `controller_namespaces`: the controller's, where the
    hook ConfigMaps the agents read live too."""
    cluster_rules, namespace_rules = grants(docs, subject)
    denied = set()
    for request in requests:
        if any(allowed(r, request) for r in cluster_rules):
            continue
        # Roles in kcau-system stand for the namespaces the controller was started with.
        if request["namespace"] in controller_namespaces and any(
                allowed(r, request) for r in namespace_rules):
            continue
        denied.add(describe(request))
    return sorted(denied)


def agent_identity_problems(requests):
    """Agent requests made with credentials other than the agent ServiceAccount's own token,
    or that touch another node's Node object (what the API server's NodeRestriction-style
    checks, not RBAC, would have to catch), one line each, sorted."""
    problems = set()
    for r in requests:
        if r.get("user") != AGENT_USER:
            problems.add(f"{describe(r)}: made as user {r.get('user') or '(none)'}, "
                         f"not {AGENT_USER}")
        elif r["resource"] == "nodes" and r["name"] and r["name"] != r.get("userNode"):
            problems.add(f"{describe(r)}: the agent of node {r.get('userNode')} touched "
                         f"another node")
    return sorted(problems)


def unused_grants(requests, docs, subject=SUBJECT):
    """(apiGroup, resource, verb) granted to `subject` that no request used."""
    cluster_rules, namespace_rules = grants(docs, subject)
    used = {(r["apiGroup"], _resource_of(r), r["verb"]) for r in requests}
    granted = {(group, resource, verb) for rule in cluster_rules + namespace_rules
               for group in rule.get("apiGroups", [])
               for resource in rule.get("resources", [])
               for verb in rule.get("verbs", [])}
    return sorted((group or "core", resource, verb)
                  for group, resource, verb in granted - used)

if __name__ == "__main__":
    import sys
    if len(sys.argv) != 4 or sys.argv[1] != "--unused":
        sys.exit("usage: rbac_check.py --unused AUDIT_DIR DEPLOY_DIR")
    for who, read, subject in (("controller", controller_requests, SUBJECT),
                               ("agent", agent_requests, AGENT_SUBJECT)):
        all_requests = []
        for path in sorted(glob.glob(os.path.join(sys.argv[2], "*.jsonl"))):
            all_requests += read(path)
        print(f"{len(all_requests)} {who} requests in {sys.argv[2]}")
        if not all_requests:
            continue  # no run of that client: nothing to say about its grants
        for group, resource, verb in unused_grants(all_requests, load_manifests(sys.argv[3]),
                                                   subject):
            print(f"granted to the {who}, never used: {verb} {group}/{resource}")
