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

// What one media type of the header comes to.
enum class Verdict { kServe, kSkip, kRefuse };

// One media type: kServe with `form` set, kSkip when kcau-sim does not know it (the next one is
// tried), kRefuse when it is the metadata form of the other kind of answer (one object's for
// a list, a list's for one object): the API server picks that type and then cannot transform
// the answer into it (406), whatever follows in the header.
Verdict FormOf(const std::string& media_type, bool list, ResponseForm& form) {
  const std::vector<std::string> parts = Split(media_type, ';');
  std::map<std::string, std::string> params;
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t eq = parts[i].find('=');
    if (eq != std::string::npos)
      params[Trim(parts[i].substr(0, eq))] = Trim(parts[i].substr(eq + 1));
  }
  const auto as = params.find("as");
  if (as == params.end()) {
    form = ResponseForm{};  // the objects themselves
    return Verdict::kServe;
  }
  if (params["g"] != "meta.k8s.io") return Verdict::kSkip;
  const std::string& version = params["v"];
  if (version != "v1" && version != "v1beta1") return Verdict::kSkip;
  if (as->second == "Table") {
    form = ResponseForm{ResponseForm::Kind::kTable, version};
    return Verdict::kServe;
  }
  if (as->second != "PartialObjectMetadata" && as->second != "PartialObjectMetadataList") {
    return Verdict::kSkip;
  }
  if ((as->second == "PartialObjectMetadataList") != list) return Verdict::kRefuse;
  form = ResponseForm{ResponseForm::Kind::kMetadata, version};
  return Verdict::kServe;
}

}  // namespace

std::optional<ResponseForm> NegotiateResponseForm(const std::string& accept, bool list) {
  if (Trim(accept).empty()) return ResponseForm{};
  for (const std::string& media_type : Split(accept, ',')) {
    if (media_type.empty()) continue;
    ResponseForm form;
    switch (FormOf(media_type, list, form)) {
      case Verdict::kServe:
        return form;
      case Verdict::kRefuse:
        return std::nullopt;
      case Verdict::kSkip:
        break;
    }
  }
  return std::nullopt;
}

}  // namespace kcau::sim
