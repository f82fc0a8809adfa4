// kcau_build_info{version} = 1: which kcau build a scraped process runs (both binaries).
// Thread-safety: as prometheus::Registry (safe from any thread).
#pragma once

#include <string>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace kcau::metrics {

inline void AddBuildInfo(prometheus::Registry& registry, const std::string& version) {
  prometheus::BuildGauge()
      .Name("kcau_build_info")
      .Help("kcau build information; always 1.")
      .Register(registry)
      .Add({{"version", version}})
      .Set(1);
}

}  // namespace kcau::metrics
