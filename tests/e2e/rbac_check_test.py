"""The RBAC check the end-to-end harness applies to every run (rbac_check.py) refuses what
the API server's authorizer refuses, and allows what it allows, for deploy/'s own rules."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rbac_check  # noqa: E402
from harness import DEPLOY_DIR, controller_namespaces, with_sim_namespaces  # noqa: E402


def request(verb, resource, group="", sub="", ns="", name=""):
    return {"userAgent": "kcau-controller/0.1.0", "verb": verb, "apiGroup": group,
            "resource": resource, "subresource": sub, "namespace": ns, "name": name,
            "user": "kubernetes-admin", "userNode": ""}


def agent_request(verb, resource, node="node-1", sub="", ns="", name="",
                  user=rbac_check.AGENT_USER):
    """A request of node's real agent, made with its own ServiceAccount token."""
    return {"userAgent": "kcau-agent/0.1.0", "verb": verb, "apiGroup": "",
            "resource": resource, "subresource": sub, "namespace": ns, "name": name,
            "user": user, "userNode": node}


class DeployRbac(unittest.TestCase):
    def setUp(self):
        self.docs = rbac_check.load_manifests(DEPLOY_DIR)

    def denied(self, *requests, namespaces=("default",)):
        return rbac_check.denied_requests(list(requests), self.docs, set(namespaces))

    def test_what_the_controller_does_is_granted(self):
        self.assertEqual([], self.denied(
            request("watch", "updateruns", "kcau.io"),
            request("patch", "updateruns", "kcau.io", sub="status", name="r"),
            request("patch", "nodes", name="node-1"),
            request("create", "pods", sub="eviction", ns="web", name="web-1"),
            request("create", "events", ns="default"),
            request("create", "leases", "coordination.k8s.io", ns="default"),
            request("get", "daemonsets", "apps", ns="default", name="kcau-agent")))

    def test_what_it_must_not_do_is_refused(self):
        cases = [
            request("deletecollection", "pods", ns="web"),
            request("delete", "nodes", name="node-1"),
            request("update", "nodes", sub="status", name="node-1"),
            request("list", "secrets", ns="default"),
            request("delete", "updateruns", "kcau.io", name="r"),
            request("update", "updateruns", "kcau.io", name="r"),  # finalizers: a patch
            # resourceNames: only the agents' DaemonSet, and never by list.
            request("patch", "daemonsets", "apps", ns="default", name="other"),
            request("list", "daemonsets", "apps", ns="default"),
            # Role rules hold in the controller's namespace only.
            request("get", "configmaps", ns="kube-system", name="hooks"),
            request("create", "leases", "coordination.k8s.io", ns="kube-system"),
        ]
        for case in cases:
            with self.subTest(request=rbac_check.describe(case)):
                self.assertEqual([rbac_check.describe(case)], self.denied(case))

    def test_roles_follow_the_controllers_namespace(self):
        get_hooks = request("get", "configmaps", ns="kcau-system", name="hooks")
        self.assertEqual([], self.denied(get_hooks, namespaces=["kcau-system"]))
        self.assertEqual(1, len(self.denied(get_hooks, namespaces=["default"])))
        # kcau-controller's own default namespace is kcau-system.
        self.assertEqual({"kcau-system", "ops"}, controller_namespaces(["--namespace=ops"]))
        self.assertEqual({"kcau-system"}, controller_namespaces([]))
        self.assertEqual({"default"}, controller_namespaces(with_sim_namespaces([])))
        self.assertEqual({"ops", "default"},
                         controller_namespaces(with_sim_namespaces(["--namespace", "ops"])))
        self.assertEqual({"ops", "le"}, controller_namespaces(
            ["--namespace", "ops", "--leader-elect-namespace", "le"]))

    def test_unused_grants_are_listed(self):
        used = [request("patch", "nodes", name="n"), request("create", "pods", sub="eviction",
                                                             ns="web", name="p")]
        unused = rbac_check.unused_grants(used, self.docs)
        self.assertIn(("core", "nodes", "list"), unused)
        self.assertNotIn(("core", "nodes", "patch"), unused)
        self.assertNotIn(("core", "pods/eviction", "create"), unused)

    def agent_denied(self, *requests, namespaces=("default",)):
        return rbac_check.denied_requests(list(requests), self.docs, set(namespaces),
                                          rbac_check.AGENT_SUBJECT)

    def test_what_the_agent_does_is_granted(self):
        # Its own Node through an informer (list + watch by field selector), get and patch;
        # the hook ConfigMaps in the controller's namespace.
        self.assertEqual([], self.agent_denied(
            agent_request("list", "nodes"), agent_request("watch", "nodes"),
            agent_request("get", "nodes", name="node-1"),
            agent_request("patch", "nodes", name="node-1"),
            agent_request("get", "configmaps", ns="default", name="hooks")))

    def test_what_the_agent_must_not_do_is_refused(self):
        cases = [
            agent_request("update", "nodes", sub="status", name="node-1"),
            agent_request("delete", "nodes", name="node-1"),
            agent_request("create", "pods", sub="eviction", ns="web", name="web-1"),
            agent_request("list", "configmaps", ns="default"),
            agent_request("get", "secrets", ns="default", name="token"),
            agent_request("get", "configmaps", ns="kube-system", name="hooks"),
            agent_request("patch", "updateruns", name="r"),
        ]
        for case in cases:
            with self.subTest(request=rbac_check.describe(case)):
                self.assertEqual([rbac_check.describe(case)], self.agent_denied(case))

    def test_agents_use_their_own_token_on_their_own_node(self):
        fine = [agent_request("patch", "nodes", name="node-1"), agent_request("list", "nodes"),
                agent_request("get", "configmaps", ns="default", name="hooks")]
        self.assertEqual([], rbac_check.agent_identity_problems(fine))
        other_node = agent_request("patch", "nodes", node="node-2", name="node-1")
        admin_token = agent_request("get", "nodes", name="node-1", user="kubernetes-admin")
        problems = rbac_check.agent_identity_problems([other_node, admin_token])
        self.assertEqual(2, len(problems), problems)
        self.assertIn("the agent of node node-2 touched another node", problems[1])
        self.assertIn("made as user kubernetes-admin", problems[0])

    def test_only_the_controllers_service_account_counts(self):
        # The agent's grants (nodes, configmaps) must not leak into the controller's.
        agent_only = [d for d in self.docs if d["metadata"]["name"] == "kcau-agent"]
        self.assertTrue(agent_only)
        self.assertEqual(([], []), rbac_check.grants(agent_only))
        # And the controller's must not leak into the agent's.
        controller_only = [d for d in self.docs if d["metadata"]["name"] == "kcau-controller"]
        self.assertTrue(controller_only)
        self.assertEqual(([], []), rbac_check.grants(controller_only, rbac_check.AGENT_SUBJECT))


if __name__ == "__main__":
    unittest.main()
