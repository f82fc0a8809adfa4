#include "sim/scenario.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "crd/duration.h"
#include "sim/object_names.h"

namespace kcau::sim {

namespace {

// Thrown inside the parser, caught once at the top and turned into an InvalidArgument that
// names the file, the line and column, the field's path and the problem.
struct ScenarioError {
  YAML::Mark mark;
  std::string path;
  std::string problem;
};

class Reader {
 public:
  [[noreturn]] static void Fail(const YAML::Node& node, const std::string& path,
                                const std::string& problem) {
    throw ScenarioError{node.Mark(), path, problem};
  }

  // Refuses keys other than `allowed`: a misspelt fault must not be silently ignored.
  static void OnlyKeys(const YAML::Node& map, const std::string& path,
                       const std::set<std::string>& allowed) {
    if (!map.IsMap()) Fail(map, path, "expected a mapping");
    for (const auto& entry : map) {
      const std::string key = entry.first.as<std::string>();
      if (!allowed.count(key)) {
        std::string known;
        for (const auto& k : allowed) known += (known.empty() ? "" : ", ") + k;
        Fail(entry.first, Join(path, key), "unknown field (known: " + known + ")");
      }
    }
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  static std::string String(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) Fail(n, path, "expected a string");
    return n.Scalar();
  }

  static int Int(const YAML::Node& n, const std::string& path, int min, int max) {
    if (!n.IsScalar()) Fail(n, path, "expected an integer");
    try {
      size_t used = 0;
      const long v = std::stol(n.Scalar(), &used);
      if (used != n.Scalar().size()) throw std::invalid_argument("trailing");
      if (v < min || v > max) {
        Fail(n, path,
             std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
                 std::to_string(max) + "]");
      }
      return static_cast<int>(v);
    } catch (const std::logic_error&) {
      Fail(n, path, "\"" + n.Scalar() + "\" is not an integer");
    }
  }

  static double Fraction(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) Fail(n, path, "expected a number");
    try {
      size_t used = 0;
      const double v = std::stod(n.Scalar(), &used);
      if (used != n.Scalar().size() || v < 0 || v > 1) throw std::invalid_argument("range");
      return v;
    } catch (const std::logic_error&) {
      Fail(n, path, "\"" + n.Scalar() + "\" is not a fraction between 0 and 1");
    }
  }

  static bool Bool(const YAML::Node& n, const std::string& path) {
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) {
      return n.Scalar() == "true";
    }
    Fail(n, path, "expected true or false");
  }

  static Millis Duration(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) Fail(n, path, "expected a duration such as 500ms, 2s or 1m");
    auto d = crd::ParseDuration(n.Scalar());
    if (!d.ok() || *d < kcau::Duration::zero()) {
      Fail(n, path, "\"" + n.Scalar() + "\" is not a duration such as 500ms, 2s or 1m");
    }
    return std::chrono::duration_cast<Millis>(*d);
  }

  // "3" or "50%", as intstr fields take.
  static std::string IntOrPercent(const YAML::Node& n, const std::string& path) {
    const std::string v = String(n, path);
    const std::string digits = !v.empty() && v.back() == '%' ? v.substr(0, v.size() - 1) : v;
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
      Fail(n, path, "\"" + v + "\" is neither a count nor a percentage");
    }
    return v;
  }

  static std::map<std::string, std::string> StringMap(const YAML::Node& n,
                                                      const std::string& path) {
    if (!n.IsMap()) Fail(n, path, "expected a mapping of strings");
    std::map<std::string, std::string> out;
    for (const auto& e : n) {
      const std::string key = e.first.as<std::string>();
      out[key] = String(e.second, Join(path, key));
    }
    return out;
  }
};

// A path in a real agent's root: absolute, without "." or ".." components, and not in
// /run/kcau-sim, which is kcau-sim's own (the boot ID, the reboot request).
void CheckRootPath(const YAML::Node& key, const std::string& path, const std::string& file) {
  if (file.size() < 2 || file[0] != '/' || file.back() == '/') {
    Reader::Fail(key, path, "\"" + file + "\" is not an absolute path of a file in the root");
  }
  for (size_t start = 1; start <= file.size();) {
    const size_t slash = std::min(file.find('/', start), file.size());
    const std::string part = file.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") {
      Reader::Fail(key, path, "\"" + file + "\" has an empty, \".\" or \"..\" component");
    }
    start = slash + 1;
  }
  if (file == "/run/kcau-sim" || file.rfind("/run/kcau-sim/", 0) == 0 ||
      file == "/var/run/kcau-sim" || file.rfind("/var/run/kcau-sim/", 0) == 0) {
    Reader::Fail(key, path, "\"" + file + "\" is kcau-sim's own (the boot ID and reboot requests)");
  }
}

// files: {"/run/reboot-required": "", "/opt/fix/01.sh": {content: "...", mode: "0755"}}
std::map<std::string, RootFile> ReadRootFiles(const YAML::Node& n, const std::string& path) {
  if (!n.IsMap()) Reader::Fail(n, path, "expected a mapping of paths in the root to contents");
  std::map<std::string, RootFile> files;
  for (const auto& e : n) {
    const std::string file = Reader::String(e.first, path);
    const std::string where = path + "[" + file + "]";
    CheckRootPath(e.first, where, file);
    RootFile out;
    if (e.second.IsMap()) {
      Reader::OnlyKeys(e.second, where, {"content", "mode"});
      if (e.second["content"])
        out.content = Reader::String(e.second["content"], where + ".content");
      if (const YAML::Node& mode = e.second["mode"]) {
        const std::string text = Reader::String(mode, where + ".mode");
        if (text.empty() || text.size() > 5 ||
            text.find_first_not_of("01234567") != std::string::npos ||
            std::stoul(text, nullptr, 8) > 07777) {
          Reader::Fail(mode, where + ".mode",
                       "\"" + text + "\" is not an octal mode such as \"0755\"");
        }
        out.mode = static_cast<uint32_t>(std::stoul(text, nullptr, 8));
      }
    } else if (e.second.IsScalar()) {
      out.content = e.second.Scalar();
    } else {
      Reader::Fail(e.second, where, "expected the file's content, or {content, mode}");
    }
    files[file] = out;
  }
  return files;
}

// What a real agent cannot be asked to fake, and a name that must be usable as its root's.
void CheckAgentKind(const YAML::Node& n, const std::string& path, const NodeScenario& node) {
  if (node.agent != AgentKind::kReal) {
    if (!node.files.empty()) {
      Reader::Fail(n["files"] ? n["files"] : n, path + ".files",
                   "only a node with agent: real has a root to put files in");
    }
    if (!node.root_template.empty()) {
      Reader::Fail(n["rootTemplate"] ? n["rootTemplate"] : n, path + ".rootTemplate",
                   "only a node with agent: real has a root to copy a template into");
    }
    return;
  }
  const YAML::Node where = n["faults"] ? n["faults"] : n;
  if (node.fail_updates > 0 || !node.fail_plugin.empty() || node.no_agent) {
    Reader::Fail(where, path + ".faults",
                 "failUpdates, failPlugin and noAgent fake the simulated agent; a real agent "
                 "runs the real plug-ins (make one fail through files in its root)");
  }
  if (const auto problems = NameProblems(NameRule::kDnsSubdomain, node.name, false);
      !problems.empty()) {
    Reader::Fail(n, path + ".name", problems.front());
  }
}

void ReadNodeFields(const YAML::Node& n, const std::string& path, NodeScenario& node) {
  if (n["agent"]) {
    const std::string kind = Reader::String(n["agent"], path + ".agent");
    if (kind == "real") {
      node.agent = AgentKind::kReal;
    } else if (kind == "simulated") {
      node.agent = AgentKind::kSimulated;
    } else {
      Reader::Fail(n["agent"], path + ".agent", "\"" + kind + "\" is not one of simulated, real");
    }
  }
  if (n["files"]) node.files = ReadRootFiles(n["files"], path + ".files");
  if (n["rootTemplate"]) {
    node.root_template = Reader::String(n["rootTemplate"], path + ".rootTemplate");
    // kcau-sim may run from any folder: a relative path would name different templates.
    if (node.root_template.empty() || node.root_template[0] != '/') {
      Reader::Fail(n["rootTemplate"], path + ".rootTemplate",
                   "\"" + node.root_template + "\" is not an absolute path of a directory");
    }
  }
  if (n["labels"]) node.labels = Reader::StringMap(n["labels"], path + ".labels");
  if (n["zone"]) node.zone = Reader::String(n["zone"], path + ".zone");
  if (n["controlPlane"])
    node.control_plane = Reader::Bool(n["controlPlane"], path + ".controlPlane");
  if (n["updates"]) {
    const YAML::Node& u = n["updates"];
    if (!u.IsMap()) Reader::Fail(u, path + ".updates", "expected plug-in: count pairs");
    node.updates.clear();
    for (const auto& e : u) {
      const std::string plugin = e.first.as<std::string>();
      node.updates[plugin] = Reader::Int(e.second, path + ".updates." + plugin, 0, 10000);
    }
  }
  if (n["updateDuration"]) {
    node.update_duration = Reader::Duration(n["updateDuration"], path + ".updateDuration");
  }
  if (n["rebootDuration"]) {
    node.reboot_duration = Reader::Duration(n["rebootDuration"], path + ".rebootDuration");
  }
  if (n["rebootRequired"]) {
    node.reboot_required = Reader::Bool(n["rebootRequired"], path + ".rebootRequired");
  }
  if (n["agentVersion"])
    node.agent_version = Reader::String(n["agentVersion"], path + ".agentVersion");
  if (n["firmwareUpdates"]) {
    node.firmware_updates = Reader::Bool(n["firmwareUpdates"], path + ".firmwareUpdates");
  }
  if (n["updatesAfterReboot"]) {
    node.updates_after_reboot =
        Reader::Int(n["updatesAfterReboot"], path + ".updatesAfterReboot", 0, 10000);
  }
  if (const YAML::Node& f = n["faults"]) {
    const std::string fp = path + ".faults";
    Reader::OnlyKeys(f, fp,
                     {"failUpdates", "failPlugin", "neverReturns", "notReadyAfterReboot", "noAgent",
                      "diskPressure", "agentSilent"});
    if (f["noAgent"]) node.no_agent = Reader::Bool(f["noAgent"], fp + ".noAgent");
    if (f["agentSilent"]) {
      node.agent_silent = Reader::Bool(f["agentSilent"], fp + ".agentSilent");
    }
    if (f["diskPressure"]) {
      node.disk_pressure = Reader::Bool(f["diskPressure"], fp + ".diskPressure");
    }
    if (f["failPlugin"]) node.fail_plugin = Reader::String(f["failPlugin"], fp + ".failPlugin");
    if (f["failUpdates"])
      node.fail_updates = Reader::Int(f["failUpdates"], fp + ".failUpdates", 0, 64);
    if (f["neverReturns"])
      node.never_returns = Reader::Bool(f["neverReturns"], fp + ".neverReturns");
    if (const YAML::Node& nr = f["notReadyAfterReboot"]) {
      if (nr.IsScalar() && nr.Scalar() == "forever") {
        node.not_ready_forever = true;
        node.not_ready_after_reboot = Millis(0);
      } else {
        node.not_ready_after_reboot = Reader::Duration(nr, fp + ".notReadyAfterReboot");
      }
    }
  }
}

const std::set<std::string> kNodeFields = {
    "labels",          "zone",           "controlPlane",   "updates",
    "updateDuration",  "rebootDuration", "rebootRequired", "updatesAfterReboot",
    "firmwareUpdates", "agentVersion",   "faults",         "agent",
    "files",           "rootTemplate"};

void ReadNodes(const YAML::Node& list, const NodeScenario& defaults, Scenario& out) {
  if (!list.IsSequence()) Reader::Fail(list, "nodes", "expected a list");
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& n = list[i];
    const std::string path = "nodes[" + std::to_string(i) + "]";
    std::set<std::string> allowed = kNodeFields;
    for (const char* k : {"name", "namePrefix", "count", "zones"}) allowed.insert(k);
    Reader::OnlyKeys(n, path, allowed);
    NodeScenario node = defaults;
    ReadNodeFields(n, path, node);
    std::vector<std::string> zones;
    if (n["zones"]) {
      if (!n["zones"].IsSequence() || n["zones"].size() == 0) {
        Reader::Fail(n["zones"], path + ".zones", "expected a non-empty list of zone names");
      }
      for (size_t z = 0; z < n["zones"].size(); ++z) {
        zones.push_back(Reader::String(n["zones"][z], path + ".zones[" + std::to_string(z) + "]"));
      }
    }
    if (n["name"] && (n["namePrefix"] || n["count"])) {
      Reader::Fail(n, path, "give either name, or namePrefix and count");
    }
    std::vector<std::string> generated;
    if (n["name"]) {
      generated.push_back(Reader::String(n["name"], path + ".name"));
    } else if (n["namePrefix"] && n["count"]) {
      const std::string prefix = Reader::String(n["namePrefix"], path + ".namePrefix");
      const int count = Reader::Int(n["count"], path + ".count", 1, 100000);
      for (int k = 1; k <= count; ++k) generated.push_back(prefix + std::to_string(k));
    } else {
      Reader::Fail(n, path, "needs a name, or namePrefix and count");
    }
    for (size_t k = 0; k < generated.size(); ++k) {
      node.name = generated[k];
      if (!zones.empty()) node.zone = zones[k % zones.size()];
      if (!names.insert(node.name).second) {
        Reader::Fail(n, path + ".name", "node \"" + node.name + "\" is defined twice");
      }
      CheckAgentKind(n, path, node);
      out.nodes.push_back(node);
    }
  }
}

void ReadWorkloads(const YAML::Node& list, Scenario& out) {
  if (!list.IsSequence()) Reader::Fail(list, "workloads", "expected a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& w = list[i];
    const std::string path = "workloads[" + std::to_string(i) + "]";
    Reader::OnlyKeys(w, path,
                     {"kind", "name", "namespace", "replicas", "pdb", "faults", "failback"});
    WorkloadScenario workload;
    if (w["failback"]) workload.failback = Reader::Bool(w["failback"], path + ".failback");
    if (!w["kind"])
      Reader::Fail(w, path + ".kind", "required (Deployment, StatefulSet, DaemonSet)");
    const std::string kind = Reader::String(w["kind"], path + ".kind");
    if (kind == "Deployment") {
      workload.kind = WorkloadKind::kDeployment;
    } else if (kind == "StatefulSet") {
      workload.kind = WorkloadKind::kStatefulSet;
    } else if (kind == "DaemonSet") {
      workload.kind = WorkloadKind::kDaemonSet;
    } else {
      Reader::Fail(w["kind"], path + ".kind",
                   "\"" + kind + "\" is not one of Deployment, StatefulSet, DaemonSet");
    }
    if (!w["name"]) Reader::Fail(w, path + ".name", "required");
    workload.name = Reader::String(w["name"], path + ".name");
    if (w["namespace"]) workload.ns = Reader::String(w["namespace"], path + ".namespace");
    if (w["replicas"]) {
      if (workload.kind == WorkloadKind::kDaemonSet) {
        Reader::Fail(w["replicas"], path + ".replicas", "a DaemonSet runs one pod per node");
      }
      workload.replicas = Reader::Int(w["replicas"], path + ".replicas", 0, 1000000);
    }
    if (const YAML::Node& pdb = w["pdb"]) {
      Reader::OnlyKeys(pdb, path + ".pdb", {"minAvailable", "maxUnavailable"});
      if (pdb["minAvailable"] && pdb["maxUnavailable"]) {
        Reader::Fail(pdb, path + ".pdb", "give minAvailable or maxUnavailable, not both");
      }
      if (pdb["minAvailable"]) {
        workload.pdb_min_available =
            Reader::IntOrPercent(pdb["minAvailable"], path + ".pdb.minAvailable");
      } else if (pdb["maxUnavailable"]) {
        workload.pdb_max_unavailable =
            Reader::IntOrPercent(pdb["maxUnavailable"], path + ".pdb.maxUnavailable");
      } else {
        Reader::Fail(pdb, path + ".pdb", "needs minAvailable or maxUnavailable");
      }
    }
    if (const YAML::Node& f = w["faults"]) {
      Reader::OnlyKeys(f, path + ".faults", {"pdbBlocksFor"});
      if (!w["pdb"]) Reader::Fail(f, path + ".faults.pdbBlocksFor", "needs a pdb to block");
      workload.pdb_blocks_for = Reader::Duration(f["pdbBlocksFor"], path + ".faults.pdbBlocksFor");
    }
    out.workloads.push_back(workload);
  }
}

// The errors kcau-sim can inject: a server error, or throttling with Retry-After.
bool IsFailCode(int code) { return code == 500 || code == 429; }

void ReadApi(const YAML::Node& api, Scenario& out) {
  Reader::OnlyKeys(api, "api", {"faults"});
  const YAML::Node& f = api["faults"];
  if (!f) return;
  Reader::OnlyKeys(f, "api.faults", {"failRequests", "failCode", "cutWatchesEvery"});
  if (f["failRequests"]) {
    out.api.fail_fraction = Reader::Fraction(f["failRequests"], "api.faults.failRequests");
  }
  if (const YAML::Node& codes = f["failCode"]) {
    // One code, or a list of them to draw from.
    out.api.fail_codes.clear();
    if (codes.IsSequence() && codes.size() == 0) {
      Reader::Fail(codes, "api.faults.failCode", "expected at least one code (500 or 429)");
    }
    const bool list = codes.IsSequence();
    for (size_t i = 0; i < (list ? codes.size() : 1); ++i) {
      const YAML::Node& code = list ? codes[i] : codes;
      const std::string path = "api.faults.failCode" + (list ? "[" + std::to_string(i) + "]" : "");
      const int value = Reader::Int(code, path, 100, 599);
      if (!IsFailCode(value)) Reader::Fail(code, path, "must be 500 or 429");
      out.api.fail_codes.push_back(value);
    }
  }
  if (f["cutWatchesEvery"]) {
    const Millis every = Reader::Duration(f["cutWatchesEvery"], "api.faults.cutWatchesEvery");
    out.api.cut_watches_seconds = std::max(
        1, static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(every).count()));
  }
}

}  // namespace

const char* WorkloadKindName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kDeployment:
      return "Deployment";
    case WorkloadKind::kStatefulSet:
      return "StatefulSet";
    case WorkloadKind::kDaemonSet:
      return "DaemonSet";
  }
  return "?";
}

Scenario DefaultScenario(int nodes, int pods_per_node) {
  static const char* zones[] = {"zone-a", "zone-b", "zone-c"};
  Scenario s;
  for (int i = 1; i <= nodes; ++i) {
    NodeScenario n;
    n.name = "node-" + std::to_string(i);
    n.zone = zones[(i - 1) % 3];
    s.nodes.push_back(n);
  }
  WorkloadScenario web;
  web.name = "web";
  web.ns = "web";
  web.replicas = nodes * pods_per_node;
  web.pdb_max_unavailable = "1";
  s.workloads.push_back(web);
  WorkloadScenario exporter;
  exporter.kind = WorkloadKind::kDaemonSet;
  exporter.name = "node-exporter";
  exporter.ns = "kube-system";
  s.workloads.push_back(exporter);
  return s;
}

StatusOr<std::vector<int>> ParseFailCodes(const std::string& text) {
  std::vector<int> codes;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    int code = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), code);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() ||
        !IsFailCode(code)) {
      return InvalidArgumentError("--fail-code: \"" + item +
                                  "\" is not 500 or 429 (give one, or a list such as 500,429)");
    }
    codes.push_back(code);
    if (comma == std::string::npos) return codes;
    start = comma + 1;
  }
}

StatusOr<Scenario> ParseScenario(const std::string& yaml_text, const std::string& file_name) {
  auto where = [&](const YAML::Mark& mark) {
    return file_name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  };
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    if (!root.IsMap()) return InvalidArgumentError(file_name + ": expected a mapping at the top");
    Reader::OnlyKeys(root, "", {"nodeDefaults", "nodes", "workloads", "api", "podRestartDelay"});
    Scenario out;
    NodeScenario defaults;
    if (const YAML::Node& d = root["nodeDefaults"]) {
      Reader::OnlyKeys(d, "nodeDefaults", kNodeFields);
      ReadNodeFields(d, "nodeDefaults", defaults);
    }
    if (!root["nodes"]) Reader::Fail(root, "nodes", "required: at least one node");
    ReadNodes(root["nodes"], defaults, out);
    if (out.nodes.empty()) Reader::Fail(root["nodes"], "nodes", "at least one node is needed");
    if (root["workloads"]) ReadWorkloads(root["workloads"], out);
    if (root["api"]) ReadApi(root["api"], out);
    if (root["podRestartDelay"]) {
      out.pod_restart_delay = Reader::Duration(root["podRestartDelay"], "podRestartDelay");
    }
    return out;
  } catch (const ScenarioError& e) {
    return InvalidArgumentError(where(e.mark) + ": " + (e.path.empty() ? "" : e.path + ": ") +
                                e.problem);
  } catch (const YAML::Exception& e) {
    // Syntax errors: yaml-cpp's mark is the position it stopped at.
    return InvalidArgumentError(where(e.mark) + ": " + e.msg);
  }
}

StatusOr<Scenario> LoadScenario(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError(path + ": cannot open the scenario file");
  std::stringstream text;
  text << in.rdbuf();
  return ParseScenario(text.str(), path);
}

}  // namespace kcau::sim
