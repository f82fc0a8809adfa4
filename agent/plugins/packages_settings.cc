#include "agent/plugins/packages_settings.h"

#include "agent/plugins/plugin_arguments.h"

namespace kcau::agent {

namespace {

// Characters of Debian and RPM package names, and glob characters.
constexpr char kGlobCharacters[] = ".+-_:*?[]!";
// Release names: "bookworm", "stable", "40", "bookworm-backports".
constexpr char kReleaseCharacters[] = ".-_+~";

}  // namespace

StatusOr<PackagesSettings> ParsePackagesSettings(
    const std::map<std::string, std::string>& arguments, const PluginOptions& options) {
  StatusOr<PluginArguments> args =
      PluginArguments::Make(kPackagesPlugin, arguments,
                            {"backend", "timeoutMinutes", "include", "exclude", "securityOnly",
                             "includeRecommended", "targetRelease"});
  if (!args.ok()) return args.status();
  PackagesSettings settings;
  settings.os_rolling_upgrade = options.os_rolling_upgrade;

  if (std::optional<std::string> backend = args->Get("backend")) {
    if (*backend == "apt") {
      settings.backend = PackageBackend::kApt;
    } else if (*backend == "dnf") {
      settings.backend = PackageBackend::kDnf;
    } else {
      return args->Error("backend", QuoteForMessage(*backend) + " is neither \"apt\" nor \"dnf\"");
    }
  }
  StatusOr<Duration> timeout = args->Minutes("timeoutMinutes", settings.timeout);
  if (!timeout.ok()) return timeout.status();
  settings.timeout = *timeout;

  StatusOr<std::vector<std::string>> include = args->List("include", kGlobCharacters);
  if (!include.ok()) return include.status();
  settings.filter.include = *include;
  StatusOr<std::vector<std::string>> exclude = args->List("exclude", kGlobCharacters);
  if (!exclude.ok()) return exclude.status();
  settings.filter.exclude = *exclude;
  StatusOr<bool> security_only = args->Bool("securityOnly", false);
  if (!security_only.ok()) return security_only.status();
  settings.filter.security_only = *security_only;

  StatusOr<std::optional<bool>> recommended = args->OptionalBool("includeRecommended");
  if (!recommended.ok()) return recommended.status();
  settings.include_recommended = *recommended;

  StatusOr<std::optional<std::string>> release = args->Token("targetRelease", kReleaseCharacters);
  if (!release.ok()) return release.status();
  settings.target_release = *release;

  if (settings.os_rolling_upgrade) {
    // A rolling upgrade moves the whole OS to one consistent state: a part of it is not one.
    for (const char* narrowing : {"include", "exclude", "securityOnly"}) {
      if (args->Get(narrowing)) {
        return args->Error(narrowing,
                           "does not apply with osRollingUpgrade, which upgrades the whole OS");
      }
    }
  } else if (settings.target_release) {
    return args->Error("targetRelease", "applies only with osRollingUpgrade");
  }
  return settings;
}

}  // namespace kcau::agent
