#include "cli/commands.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "cli/args.h"
#include "cli/report_export.h"
#include "cli/run_manifest.h"
#include "cli/run_report.h"
#include "cli/run_view.h"
#include "cli/selector_text.h"
#include "cli/spec_flags.h"
#include "crd/k8s_names.h"
#include "crd/names.h"
#include "crd/run_state.h"
#include "crd/updaterun_codec.h"
#include "crd/yaml_json.h"
#include "kube/kubeconfig.h"
#include "kube/rest_client.h"

namespace kcau::cli {

namespace {

using kube::Json;

constexpr char kUsage[] =
    "usage: kubectl cau VERB [NAME] [flags]   (flags may come anywhere on the line)\n"
    "  run [--name NAME] [spec flags]    create an UpdateRun (Invoke-CauRun); --dry-run -o yaml\n"
    "                                    prints it instead; --force skips the confirmation\n"
    "  scan [--name NAME] [spec flags]   a run with mode Scan (Invoke-CauScan): waits, then\n"
    "                                    prints which updates apply per node (--no-wait)\n"
    "  get [NAME] [--watch]              all runs, or one run's live progress (Get-CauRun)\n"
    "  stop NAME                         stop a run (Stop-CauRun): spec.stop=true\n"
    "  report NAME [-o json|yaml]        the run report (Get-CauReport)\n"
    "  export NAME [--dir DIR]           NAME.html and NAME.csv in DIR (Export-CauReport)\n"
    "  apply -f FILE                     create or update the UpdateRuns in FILE (YAML)\n"
    "  progress NAME                     one-line progress of a run\n"
    "common flags: --kubeconfig PATH, --context NAME, -n/--namespace NS (UpdateRuns are\n"
    "cluster-scoped: accepted and ignored), -h/--help. `kubectl cau run --help` lists the\n"
    "spec flags. Documentation: docs/kubectl-cau.md\n";

// The fields a scan can use: which nodes, which plug-ins, and how the scan is paced and
// bounded. Nothing that changes a node applies to a scan.
const std::set<std::string>& ScanFields() {
  static const std::set<std::string> fields = {
      "nodeSelector",    "plugins",        "runPluginsSerially",  "stopOnPluginFailure",
      "nodeOrder",       "maxFailedNodes", "maxRetriesPerNode",   "requireAllNodesOnline",
      "warnAfter",       "stopAfter",      "agentTimeoutMinutes", "maxUnavailable",
      "skipUpdateChecks"};
  return fields;
}

struct VerbDef {
  std::string name;
  std::set<std::string> flags;  // beyond the common ones
  bool spec_flags = false;
};

const std::vector<VerbDef>& Verbs() {
  static const std::vector<VerbDef> verbs = {
      {"run", {"name", "dry-run", "output", "force", "filename"}, true},
      {"scan", {"name", "dry-run", "output", "filename", "no-wait"}, true},
      {"get", {"watch"}, false},
      {"stop", {}, false},
      {"report", {"output"}, false},
      {"export", {"dir"}, false},
      {"apply", {"filename"}, false},
      {"progress", {}, false},
  };
  return verbs;
}

std::vector<FlagDef> AllFlagDefs() {
  std::vector<FlagDef> defs = {
      {"kubeconfig"},    {"context"},          {"namespace", 'n'},   {"help", 'h', true},
      {"name"},          {"dry-run", 0, true}, {"output", 'o'},      {"force", 0, true},
      {"filename", 'f'}, {"watch", 'w', true}, {"no-wait", 0, true}, {"dir"},
  };
  for (FlagDef& d : SpecFlagDefs()) defs.push_back(std::move(d));
  return defs;
}

bool Common(const std::string& flag) {
  return flag == "kubeconfig" || flag == "context" || flag == "namespace" || flag == "help";
}

std::string RunHelp() {
  std::vector<std::vector<std::string>> rows = {{"FLAG", "VALUE", "FIELD", "MIRRORS"}};
  for (const SpecFlag& f : SpecFlags()) {
    rows.push_back({"--" + f.name, f.ValueHelp(), f.field->Path(),
                    f.field->kcau_own ? "(kcau)" : f.field->cmdlet_parameter});
  }
  return "usage: kubectl cau run [--name NAME] [-f SPEC.yaml] [spec flags] [--dry-run -o yaml]"
         " [--force]\n"
         "  --name NAME        the UpdateRun's name (default cau-YYYYMMDD-HHMMSS, UTC)\n"
         "  -f FILE            an UpdateRun or a bare spec; flags override its fields\n"
         "  --dry-run          print what would be created (-o yaml|json|name); no API call\n"
         "  --force            create without asking (the cmdlet's -Force)\n"
         "Booleans are switches (--what-if, --what-if=false); lists are comma-separated.\n"
         "Plug-ins: --cau-plugin-name NAME [--cau-plugin-arguments k=v,k=v], once per "
         "plug-in.\n\n" +
         FormatTable(rows);
}

class Cli {
 public:
  Cli(CliEnv& env, ParsedArgs args) : env_(env), args_(std::move(args)) {}

  int Run() {
    const auto& pos = args_.positionals;
    if (pos.empty()) {
      (args_.Has("help") ? env_.out : env_.err) << kUsage;
      return args_.Has("help") ? 0 : 2;
    }
    const VerbDef* verb = nullptr;
    for (const VerbDef& v : Verbs()) {
      if (v.name == pos[0]) verb = &v;
    }
    if (verb == nullptr) return Usage("unknown verb \"" + pos[0] + "\"");
    if (args_.Has("help")) {
      env_.out << (verb->name == "run" ? RunHelp() : kUsage);
      return 0;
    }
    for (const ParsedFlag& f : args_.flags) {
      const bool allowed = Common(f.name) || verb->flags.count(f.name) ||
                           (verb->spec_flags && FindSpecFlag(f.name) != nullptr);
      if (!allowed)
        return Usage("flag --" + f.name + " does not apply to `kubectl cau " + verb->name + "`");
    }
    const std::string& v = verb->name;
    if (v == "run" || v == "scan") return CreateRun(v == "scan");
    if (v == "get") return pos.size() == 1 ? ListRuns() : ShowRun();
    if (v == "apply") return Apply();
    const std::string name = NameArgument();
    if (name.empty()) return 2;
    if (v == "stop") return Stop(name);
    if (v == "report") return Report(name);
    if (v == "export") return Export(name);
    return Progress(name);
  }

 private:
  int Fail(const std::string& message) {
    env_.err << "kubectl-cau: " << message << "\n";
    return 1;
  }
  int Usage(const std::string& message) {
    env_.err << "kubectl-cau: " << message << "\n" << kUsage;
    return 2;
  }
  // An API error, with what a refusal of our credentials most likely means.
  int ApiFail(const std::string& what, const Status& s) {
    std::string message = what + ": " + s.message();
    if (s.code() == StatusCode::kUnauthorized && s.message().rfind("HTTP 401", 0) == 0) {
      message += " (the API server did not accept the credentials of the kubeconfig's user)";
    }
    return Fail(message);
  }

  // The verb's one NAME argument; "" after printing the usage problem.
  std::string NameArgument() {
    const auto& pos = args_.positionals;
    if (pos.size() == 2) return pos[1];
    Usage(pos.size() < 2 ? "`kubectl cau " + pos[0] + "` needs the UpdateRun's name"
                         : "unexpected argument \"" + pos[2] + "\"");
    return "";
  }

  StatusOr<kube::KubeClient*> Client() {
    if (client_) return client_.get();
    auto config =
        kube::LoadKubeconfigFiles(kube::KubeconfigPaths(args_.Last("kubeconfig").value_or("")),
                                  args_.Last("context").value_or(""));
    if (!config.ok()) return config.status();
    config->user_agent = "kubectl-cau/" KCAU_VERSION;
    auto client = kube::RestClient::Create(*config);
    if (!client.ok()) return client.status();
    client_ = std::move(*client);
    return client_.get();
  }

  StatusOr<Json> GetRunObject(const std::string& name) {
    auto client = Client();
    if (!client.ok()) return client.status();
    auto object = (*client)->Get(kube::resources::UpdateRuns(), {"", name});
    if (!object.ok()) {
      return Status(object.status().code(), "updaterun " + name + ": " + object.status().message());
    }
    return object;
  }

  StatusOr<crd::UpdateRun> GetRun(const std::string& name) {
    auto object = GetRunObject(name);
    if (!object.ok()) return object.status();
    auto run = crd::DecodeUpdateRun(*object);
    if (!run.ok()) return InvalidArgumentError("updaterun " + name + ": " + run.status().message());
    return run;
  }

  // The names of the nodes `spec` selects, as the API server lists them.
  StatusOr<std::vector<std::string>> SelectedNodes(const Json& spec_json) {
    kube::ListOptions options;
    if (spec_json.has_field("nodeSelector")) {
      auto spec = crd::DecodeUpdateRunSpec(spec_json);
      if (spec.ok() && spec->node_selector) {
        options.label_selector = SelectorQuery(*spec->node_selector);
      }
    }
    auto client = Client();
    if (!client.ok()) return client.status();
    auto nodes = (*client)->List(kube::resources::Nodes(), "", options);
    if (!nodes.ok()) return nodes.status();
    std::vector<std::string> names;
    for (const Json& n : nodes->items) names.push_back(n.at("metadata").at("name").as_string());
    return names;
  }

  int CreateRun(bool scan) {
    const std::string verb = scan ? "scan" : "run";
    const auto& pos = args_.positionals;
    if (pos.size() > 2) return Usage("unexpected argument \"" + pos[2] + "\"");
    SpecInput base;
    std::string name = args_.Last("name").value_or("");
    if (pos.size() == 2) {
      if (!name.empty() && name != pos[1]) {
        return Usage("two names given: \"" + pos[1] + "\" and --name " + name);
      }
      name = pos[1];
    }
    if (auto file = args_.Last("filename")) {
      auto read = ReadSpecFile(*file);
      if (!read.ok()) return Fail(read.status().message());
      base = read->input;
      if (name.empty()) name = read->name;
    }
    if (scan) {
      base.spec["mode"] = Json::string("Scan");
      base.origin["mode"] = "kubectl cau scan";
    }
    auto input = SpecFromFlags(args_, base, scan ? ScanFields() : std::set<std::string>{});
    if (!input.ok()) return Fail(input.status().message());
    if (name.empty()) name = GeneratedRunName(scan ? "cau-scan-" : "cau-", env_.clock.Now());
    if (const std::string p = crd::DnsSubdomainProblem(name); !p.empty()) {
      return Fail("--name: " + p);
    }
    const std::string dry_run = args_.Last("dry-run").value_or("none");
    if (dry_run != "none" && dry_run != "false" && dry_run != "true" && dry_run != "client") {
      return Fail("--dry-run: \"" + dry_run +
                  "\" is not supported: kubectl-cau's dry run is client-side (--dry-run or "
                  "--dry-run=client); pipe -o yaml to `kubectl apply --dry-run=server -f -` "
                  "for the server's view");
    }
    const std::string output = args_.Last("output").value_or("");
    if (!output.empty() && output != "yaml" && output != "json" && output != "name") {
      return Fail("--output: expected yaml, json or name, got \"" + output + "\"");
    }
    if (dry_run == "true" || dry_run == "client") {
      // No cluster to ask which nodes exist: the controller checks what depends on them.
      auto spec = CheckSpec(*input, nullptr);
      if (!spec.ok()) return Fail(spec.status().message());
      const Json object = UpdateRunObject(name, crd::EncodeUpdateRunSpec(*spec));
      if (output == "yaml") {
        env_.out << crd::JsonToYaml(object);
      } else if (output == "json") {
        env_.out << object.serialize() << "\n";
      } else {
        env_.out << "updaterun.kcau.io/" << name << (output == "name" ? "" : " created (dry run)")
                 << "\n";
      }
      return 0;
    }
    auto nodes = SelectedNodes(input->spec);
    if (!nodes.ok()) return ApiFail("listing the nodes to check the spec against", nodes.status());
    auto spec = CheckSpec(*input, &*nodes);
    if (!spec.ok()) return Fail(spec.status().message());
    const Json spec_json = crd::EncodeUpdateRunSpec(*spec);
    if (nodes->empty()) env_.err << "kubectl-cau: warning: no node matches the run's selector\n";
    if (!scan && !args_.Has("force")) {
      std::string listed;
      for (size_t i = 0; i < nodes->size() && i < 10; ++i) listed += " " + (*nodes)[i];
      if (nodes->size() > 10) listed += " ... (" + std::to_string(nodes->size() - 10) + " more)";
      env_.out << "UpdateRun " << name << " (Invoke-CauRun) on " << nodes->size()
               << " nodes:" << listed << "\n"
               << crd::JsonToYaml(spec_json) << "Create UpdateRun " << name << "? [y/N] "
               << std::flush;
      std::string answer;
      std::getline(env_.in, answer);
      std::transform(answer.begin(), answer.end(), answer.begin(), ::tolower);
      if (answer != "y" && answer != "yes") {
        env_.out << "UpdateRun " << name << " not created\n";
        return 1;
      }
    }
    auto client = Client();
    if (!client.ok()) return Fail(client.status().message());
    auto created =
        (*client)->Create(kube::resources::UpdateRuns(), UpdateRunObject(name, spec_json));
    if (!created.ok()) return ApiFail("creating updaterun " + name, created.status());
    env_.out << "updaterun.kcau.io/" << name << " created\n";
    if (!scan || args_.Has("no-wait")) return 0;
    return WaitForScan(name);
  }

  int WaitForScan(const std::string& name) {
    std::string last;
    StatusOr<crd::UpdateRun> run = GetRun(name);
    for (;; run = GetRun(name)) {
      if (!run.ok()) return ApiFail("waiting for the scan", run.status());
      if (crd::IsEnded(*run)) break;
      const std::string bar = ProgressBar(CountNodes(*run), 40);
      if (bar != last) env_.err << "scanning " << bar << "\n";
      last = bar;
      env_.clock.Sleep(std::chrono::seconds(1));
    }
    // The titles are in the run's UpdatesFound Events, wherever the controller writes them.
    std::map<std::string, std::string> titles;
    auto client = Client();
    kube::ListOptions options;
    options.field_selector = "involvedObject.name=" + name;
    auto events = (*client)->List(kube::resources::Events(), "", options);
    if (events.ok()) {
      for (const Json& e : events->items) {
        if (!e.has_string_field("reason") || e.at("reason").as_string() != "UpdatesFound") continue;
        if (!run->uid.empty() && e.at("involvedObject").has_string_field("uid") &&
            e.at("involvedObject").at("uid").as_string() != run->uid) {
          continue;
        }
        if (auto found = ParseUpdatesFound(e.at("message").as_string())) {
          titles[found->first] = found->second;
        }
      }
    } else {
      env_.err << "kubectl-cau: warning: the run's Events (update titles): "
               << events.status().message() << "\n";
    }
    env_.out << FormatLiveView(*run) << "\n" << FormatScanResult(*run, titles);
    return run->status.phase == crd::RunPhase::kSucceeded ? 0 : 1;
  }

  int ListRuns() {
    auto client = Client();
    if (!client.ok()) return Fail(client.status().message());
    auto list = (*client)->List(kube::resources::UpdateRuns(), "", {});
    if (!list.ok()) return ApiFail("listing updateruns", list.status());
    if (list->items.empty()) {
      env_.err << "No UpdateRuns found.\n";
      return 0;
    }
    std::vector<RunRow> rows;
    for (const Json& object : list->items) {
      auto run = crd::DecodeUpdateRun(object);
      if (!run.ok()) {
        env_.err << "kubectl-cau: skipping an UpdateRun: " << run.status().message() << "\n";
        continue;
      }
      RunRow row{*run, std::nullopt};
      const Json& meta = object.at("metadata");
      if (meta.has_string_field("creationTimestamp")) {
        row.created = ParseRfc3339(meta.at("creationTimestamp").as_string());
      }
      rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(),
              [](const RunRow& a, const RunRow& b) { return a.run.name < b.run.name; });
    env_.out << FormatRunTable(rows, env_.clock.Now());
    return 0;
  }

  int ShowRun() {
    if (args_.positionals.size() > 2) {
      return Usage("unexpected argument \"" + args_.positionals[2] + "\"");
    }
    const std::string& name = args_.positionals[1];
    std::string last;
    while (true) {
      auto run = GetRun(name);
      if (!run.ok()) return ApiFail("get", run.status());
      const std::string frame = FormatLiveView(*run);
      if (!args_.Has("watch")) {
        env_.out << frame;
        return 0;
      }
      if (frame != last) {
        // A terminal gets the frame redrawn in place; a pipe gets each new frame after the last.
        if (env_.terminal) {
          env_.out << "\033[H\033[2J";
        } else if (!last.empty()) {
          env_.out << "\n";
        }
        env_.out << frame << std::flush;
        last = frame;
      }
      if (crd::IsEnded(*run)) return 0;
      env_.clock.Sleep(std::chrono::seconds(1));
    }
  }

  int Stop(const std::string& name) {
    auto run = GetRun(name);
    if (!run.ok()) return ApiFail("stop", run.status());
    const std::string phase = crd::RunPhaseName(run->status.phase);
    if (crd::IsEnded(*run)) {
      env_.out << "UpdateRun " << name << " has already ended (" << phase << "): nothing to stop\n";
      return 0;
    }
    if (run->spec.stop.value_or(false)) {
      env_.out << "UpdateRun " << name << " is already stopping (spec.stop is true; phase " << phase
               << ")\n";
      return 0;
    }
    Json patch = Json::object();
    patch["spec"]["stop"] = Json::boolean(true);
    auto client = Client();
    auto patched =
        (*client)->Patch(kube::resources::UpdateRuns(), {"", name}, kube::PatchType::kMerge, patch);
    if (!patched.ok()) return ApiFail("stopping updaterun " + name, patched.status());
    env_.out << "updaterun.kcau.io/" << name << " stop requested (spec.stop=true): no further "
             << "node is taken; nodes not yet updating are brought back and Skipped, nodes "
             << "updating now finish; the run then ends Failed, reason Cancelled\n"
             << ProgressBar(CountNodes(*run), 40) << "\n";
    return 0;
  }

  int Report(const std::string& name) {
    const std::string output = args_.Last("output").value_or("");
    if (!output.empty() && output != "json" && output != "yaml") {
      return Fail("--output: expected json or yaml, got \"" + output + "\"");
    }
    auto object = GetRunObject(name);
    if (!object.ok()) return ApiFail("report", object.status());
    if (!output.empty()) {
      const Json status =
          object->has_object_field("status") ? object->at("status") : Json::object();
      env_.out << (output == "json" ? status.serialize() + "\n" : crd::JsonToYaml(status));
      return 0;
    }
    auto run = crd::DecodeUpdateRun(*object);
    if (!run.ok()) return Fail("updaterun " + name + ": " + run.status().message());
    env_.out << FormatReport(*run);
    return 0;
  }

  int Export(const std::string& name) {
    const std::string dir = args_.Last("dir").value_or(".");
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return Fail("--dir " + dir + ": not a directory");
    auto run = GetRun(name);
    if (!run.ok()) return ApiFail("export", run.status());
    for (const auto& [ext, text] :
         {std::pair<std::string, std::string>{".html", ReportHtml(*run, env_.clock.Now())},
          std::pair<std::string, std::string>{".csv", ReportCsv(*run)}}) {
      const std::string path = (std::filesystem::path(dir) / (name + ext)).string();
      std::ofstream file(path, std::ios::binary);
      file << text;
      file.close();
      if (!file) return Fail(path + ": cannot write the file");
      env_.out << "wrote " << path << "\n";
    }
    return 0;
  }

  int Apply() {
    const auto path = args_.Last("filename");
    if (!path || args_.positionals.size() != 1) return Usage("usage: kubectl cau apply -f FILE");
    std::ifstream in(*path);
    if (!in) return Fail("cannot read " + *path);
    std::stringstream text;
    text << in.rdbuf();
    auto docs = crd::YamlToJsonDocuments(text.str());
    if (!docs.ok()) return Fail(*path + ": " + docs.status().message());
    auto client = Client();
    if (!client.ok()) return Fail(client.status().message());
    const auto& runs = kube::resources::UpdateRuns();
    for (const Json& doc : *docs) {
      if (!doc.is_object() || !doc.has_string_field("kind") ||
          doc.at("kind").as_string() != "UpdateRun") {
        return Fail(*path + ": only UpdateRun documents can be applied by kubectl-cau");
      }
      const std::string name = doc.at("metadata").at("name").as_string();
      auto existing = (*client)->Get(runs, {"", name});
      if (existing.ok()) {
        Json patch = Json::object();
        patch["spec"] = doc.has_object_field("spec") ? doc.at("spec") : Json::object();
        auto patched = (*client)->Patch(runs, {"", name}, kube::PatchType::kMerge, patch);
        if (!patched.ok()) return ApiFail("updaterun " + name, patched.status());
        env_.out << "updaterun.kcau.io/" << name << " configured\n";
      } else if (existing.status().code() == StatusCode::kNotFound) {
        auto created = (*client)->Create(runs, doc);
        if (!created.ok()) return ApiFail("updaterun " + name, created.status());
        env_.out << "updaterun.kcau.io/" << name << " created\n";
      } else {
        return ApiFail("updaterun " + name, existing.status());
      }
    }
    return 0;
  }

  int Progress(const std::string& name) {
    auto run = GetRun(name);
    if (!run.ok()) return ApiFail("progress", run.status());
    env_.out << FormatProgress(*run) << "\n";
    return 0;
  }

  CliEnv& env_;
  const ParsedArgs args_;
  std::unique_ptr<kube::KubeClient> client_;
};

}  // namespace

int RunCli(const std::vector<std::string>& args, CliEnv& env) {
  auto parsed = ParseArgs(args, AllFlagDefs());
  if (!parsed.ok()) {
    env.err << "kubectl-cau: " << parsed.status().message() << "\n" << kUsage;
    return 2;
  }
  return Cli(env, std::move(*parsed)).Run();
}

}  // namespace kcau::cli
