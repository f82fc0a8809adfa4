// kubectl-cau: the cmdlet family for humans, as a kubectl plugin (`kubectl cau ...`).
// This first cut carries what the demo needs without kubectl: apply an UpdateRun manifest,
// a one-line progress summary, and the run report (Get-CauReport).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_report.h"
#include "crd/updaterun_codec.h"
#include "crd/yaml_json.h"
#include "kube/kubeconfig.h"
#include "kube/rest_client.h"

namespace {

using kcau::kube::Json;

constexpr char kUsage[] =
    "usage: kubectl-cau [--kubeconfig PATH] COMMAND\n"
    "  apply -f FILE     create or update the UpdateRuns in FILE (YAML)\n"
    "  progress NAME     one-line progress of an UpdateRun\n"
    "  report NAME       the run report: summary, conditions, one line per node\n";

std::string DefaultKubeconfig() {
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') return env;
  if (const char* home = std::getenv("HOME"); home != nullptr) {
    return std::string(home) + "/.kube/config";
  }
  return "";
}

int Fail(const std::string& message) {
  std::cerr << "kubectl-cau: " << message << "\n";
  return 1;
}

int Apply(kcau::kube::KubeClient& client, const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto docs = kcau::crd::YamlToJsonDocuments(text.str());
  if (!docs.ok()) return Fail(path + ": " + docs.status().message());
  const auto& runs = kcau::kube::resources::UpdateRuns();
  for (const Json& doc : *docs) {
    if (!doc.is_object() || !doc.has_string_field("kind") ||
        doc.at("kind").as_string() != "UpdateRun") {
      return Fail(path + ": only UpdateRun documents can be applied by kubectl-cau");
    }
    const std::string name = doc.at("metadata").at("name").as_string();
    auto existing = client.Get(runs, {"", name});
    if (existing.ok()) {
      Json patch = Json::object();
      patch["spec"] = doc.has_object_field("spec") ? doc.at("spec") : Json::object();
      auto patched = client.Patch(runs, {"", name}, kcau::kube::PatchType::kMerge, patch);
      if (!patched.ok()) return Fail("updaterun " + name + ": " + patched.status().ToString());
      std::cout << "updaterun.kcau.io/" << name << " configured\n";
    } else if (existing.status().code() == kcau::StatusCode::kNotFound) {
      auto created = client.Create(runs, doc);
      if (!created.ok()) return Fail("updaterun " + name + ": " + created.status().ToString());
      std::cout << "updaterun.kcau.io/" << name << " created\n";
    } else {
      return Fail("updaterun " + name + ": " + existing.status().ToString());
    }
  }
  return 0;
}

int Show(kcau::kube::KubeClient& client, const std::string& name, bool report) {
  auto object = client.Get(kcau::kube::resources::UpdateRuns(), {"", name});
  if (!object.ok()) return Fail("updaterun " + name + ": " + object.status().ToString());
  auto run = kcau::crd::DecodeUpdateRun(*object);
  if (!run.ok()) return Fail("updaterun " + name + ": " + run.status().message());
  std::cout << (report ? kcau::cli::FormatReport(*run) : kcau::cli::FormatProgress(*run) + "\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string kubeconfig = DefaultKubeconfig();
  if (args.size() >= 2 && args[0] == "--kubeconfig") {
    kubeconfig = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  auto config = kcau::kube::LoadKubeconfig(kubeconfig);
  if (!config.ok()) return Fail(config.status().message());
  auto client = kcau::kube::RestClient::Create(*config);
  if (!client.ok()) return Fail(client.status().message());

  const std::string& command = args[0];
  if (command == "apply" && args.size() == 3 && args[1] == "-f") return Apply(**client, args[2]);
  if (command == "progress" && args.size() == 2) return Show(**client, args[1], false);
  if (command == "report" && args.size() == 2) return Show(**client, args[1], true);
  std::cerr << kUsage;
  return 2;
}
