#include "sim/response_form.h"

#include <map>
#include <vector>

namespace kcau::sim {

namespace {

std::string Trim(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string> Split(const std::string& s, char by) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at = s.find(by); at != std::string::npos; at = s.find(by, start)) {
    parts.push_back(Trim(s.substr(start, at - start)));
    start = at + 1;
  }
  parts.push_back(Trim(s.substr(start)));
  return parts;
}

// One media type of the header: what it asks for, or nullopt when kcau-sim cannot serve it.
std::optional<ResponseForm> FormOf(const std::string& media_type, bool list) {
  const std::vector<std::string> parts = Split(media_type, ';');
  std::map<std::string, std::string> params;
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t eq = parts[i].find('=');
    if (eq != std::string::npos)
      params[Trim(parts[i].substr(0, eq))] = Trim(parts[i].substr(eq + 1));
  }
  const auto as = params.find("as");
  if (as == params.end()) return ResponseForm{};  // the objects themselves
  if (params["g"] != "meta.k8s.io") return std::nullopt;
  const std::string& version = params["v"];
  if (version != "v1" && version != "v1beta1") return std::nullopt;
  if (as->second == "Table") return ResponseForm{ResponseForm::Kind::kTable, version};
  const std::string metadata = list ? "PartialObjectMetadataList" : "PartialObjectMetadata";
  if (as->second == metadata) return ResponseForm{ResponseForm::Kind::kMetadata, version};
  return std::nullopt;
}

}  // namespace

std::optional<ResponseForm> NegotiateResponseForm(const std::string& accept, bool list) {
  if (Trim(accept).empty()) return ResponseForm{};
  for (const std::string& media_type : Split(accept, ',')) {
    if (media_type.empty()) continue;
    if (auto form = FormOf(media_type, list)) return form;
  }
  return std::nullopt;
}

}  // namespace kcau::sim
