#include "crd/updaterun_fields.h"

#include <type_traits>
#include <utility>

#include "crd/duration.h"
#include "crd/json_reader.h"
#include "crd/json_writer.h"
#include "crd/names.h"
#include "crd/spec_objects.h"

namespace kcau::crd {

namespace {

using web::json::value;

// ------------------------------------------------------------ how each value type is coded

// ValueCodec<T>: the kind of a T, and how one is read (naming its path) and written.
template <typename T>
struct ValueCodec;

template <>
struct ValueCodec<bool> {
  static constexpr FieldKind kKind = FieldKind::kBoolean;
  static bool Decode(const value& v, const std::string& path) { return jsonio::Bool(v, path); }
  static value Encode(bool b) { return value::boolean(b); }
};

template <>
struct ValueCodec<int> {
  static constexpr FieldKind kKind = FieldKind::kInteger;
  static int Decode(const value& v, const std::string& path) { return jsonio::Int(v, path); }
  static value Encode(int n) { return value::number(n); }
};

template <>
struct ValueCodec<Duration> {
  static constexpr FieldKind kKind = FieldKind::kDuration;
  static Duration Decode(const value& v, const std::string& path) {
    return jsonio::DurationField(v, path);
  }
  static value Encode(Duration d) { return jsonio::Str(FormatDuration(d)); }
};

// A structured value, coded by its dedicated functions (crd/spec_objects.h).
template <typename T, FieldKind kind, T (*decode)(const value&, const std::string&),
          value (*encode)(const T&)>
struct DedicatedCodec {
  static constexpr FieldKind kKind = kind;
  static T Decode(const value& v, const std::string& path) { return decode(v, path); }
  static value Encode(const T& t) { return encode(t); }
};

template <>
struct ValueCodec<LabelSelector>
    : DedicatedCodec<LabelSelector, FieldKind::kObject, DecodeSelector, EncodeSelector> {};
template <>
struct ValueCodec<HookSpec> : DedicatedCodec<HookSpec, FieldKind::kObject, DecodeHook, EncodeHook> {
};
template <>
struct ValueCodec<HookRunnerSpec>
    : DedicatedCodec<HookRunnerSpec, FieldKind::kObject, DecodeHookRunner, EncodeHookRunner> {};
template <>
struct ValueCodec<IntOrPercent> : DedicatedCodec<IntOrPercent, FieldKind::kIntOrPercent,
                                                 DecodeIntOrPercent, EncodeIntOrPercent> {};
template <>
struct ValueCodec<SettleSpec>
    : DedicatedCodec<SettleSpec, FieldKind::kObject, DecodeSettle, EncodeSettle> {};

// An enum's API names (crd/names.h).
template <typename E>
struct EnumTable;
template <>
struct EnumTable<DrainMode> {
  static constexpr const auto& kNames = kDrainModeNames;
};
template <>
struct EnumTable<FailbackMode> {
  static constexpr const auto& kNames = kFailbackModeNames;
};
template <>
struct EnumTable<RebootMode> {
  static constexpr const auto& kNames = kRebootModeNames;
};
template <>
struct EnumTable<RunMode> {
  static constexpr const auto& kNames = kRunModeNames;
};

template <typename E>
requires std::is_enum_v<E>
struct ValueCodec<E> {
  static constexpr FieldKind kKind = FieldKind::kEnum;
  static E Decode(const value& v, const std::string& path) {
    return jsonio::Enum(EnumTable<E>::kNames, v, path);
  }
  static value Encode(E e) { return jsonio::Str(EnumNameOf(EnumTable<E>::kNames, e)); }
  static std::vector<std::string> Names() {
    std::vector<std::string> names;
    for (const auto& n : EnumTable<E>::kNames) names.emplace_back(n.name);
    return names;
  }
};

// ------------------------------------------------------- how each member type is coded

// MemberCodec<M>: a member of type M, read into and written from (nullopt: left out).
template <typename M>
struct MemberCodec;

template <typename T>
struct MemberCodec<std::optional<T>> {
  using Values = ValueCodec<T>;
  static constexpr FieldKind kKind = Values::kKind;
  static void Decode(const value& v, const std::string& path, std::optional<T>& member) {
    member = Values::Decode(v, path);
  }
  static std::optional<value> Encode(const std::optional<T>& member) {
    if (!member) return std::nullopt;
    return Values::Encode(*member);
  }
  static std::vector<std::string> EnumNames() {
    if constexpr (requires { Values::Names(); }) {
      return Values::Names();
    } else {
      return {};
    }
  }
};

// An empty list is written as no list: the API does not tell the two apart.
template <>
struct MemberCodec<std::vector<std::string>> {
  static constexpr FieldKind kKind = FieldKind::kStringList;
  static void Decode(const value& v, const std::string& path, std::vector<std::string>& member) {
    member = jsonio::Strings(v, path);
  }
  static std::optional<value> Encode(const std::vector<std::string>& member) {
    if (member.empty()) return std::nullopt;
    return jsonio::StrArray(member);
  }
  static std::vector<std::string> EnumNames() { return {}; }
};

// ------------------------------------------------------------------------ table rows

struct Origin {
  const char* cmdlet_parameter;
  bool kcau_own;
};
Origin Cmdlet(const char* parameter) { return {parameter, false}; }
constexpr Origin kKcauOwn{"", true};

constexpr Honoured kHonoured = Honoured::kYes;
constexpr Honoured kNotYet = Honoured::kNotYet;
constexpr MidRunEdit kLive = MidRunEdit::kApplied;

// A row whose member is read and written by its type's codec.
template <auto member>
SpecField Row(const char* json_name, Origin origin, Honoured honoured,
              MidRunEdit mid_run_edit = MidRunEdit::kFixedAtStart) {
  using Codec = MemberCodec<std::remove_cvref_t<decltype(std::declval<UpdateRunSpec&>().*member)>>;
  return SpecField{
      json_name,
      Codec::kKind,
      Codec::EnumNames(),
      origin.cmdlet_parameter,
      origin.kcau_own,
      honoured,
      mid_run_edit,
      [](const value& v, const std::string& path, UpdateRunSpec& spec) {
        Codec::Decode(v, path, spec.*member);
      },
      [](const UpdateRunSpec& spec) { return Codec::Encode(spec.*member); },
  };
}

// The plug-in list is written when the spec has plug-ins or its document named the list:
// the decoder fills in the default plug-in for a document that did not.
SpecField PluginsRow() {
  return SpecField{
      "plugins",
      FieldKind::kObjectList,
      {},
      "CauPluginName, CauPluginArguments",
      false,
      kHonoured,
      MidRunEdit::kFixedAtStart,
      [](const value& v, const std::string& path, UpdateRunSpec& spec) {
        spec.plugins = DecodePlugins(v, path);
      },
      [](const UpdateRunSpec& spec) -> std::optional<value> {
        if (spec.plugins.empty() && !spec.fields_present.count("spec.plugins")) {
          return std::nullopt;
        }
        return EncodePlugins(spec.plugins);
      },
  };
}

}  // namespace

const char* FieldKindName(FieldKind kind) {
  switch (kind) {
    case FieldKind::kBoolean:
      return "boolean";
    case FieldKind::kInteger:
      return "integer";
    case FieldKind::kDuration:
      return "duration";
    case FieldKind::kEnum:
      return "enum";
    case FieldKind::kStringList:
      return "string list";
    case FieldKind::kIntOrPercent:
      return "int or percent";
    case FieldKind::kObject:
      return "object";
    case FieldKind::kObjectList:
      return "object list";
  }
  return "unknown";
}

const std::vector<SpecField>& SpecFields() {
  using S = UpdateRunSpec;
  static const std::vector<SpecField> fields = {
      Row<&S::node_selector>("nodeSelector", Cmdlet("ClusterName"), kHonoured),
      PluginsRow(),
      Row<&S::run_plugins_serially>("runPluginsSerially", Cmdlet("RunPluginsSerially"), kHonoured),
      Row<&S::stop_on_plugin_failure>("stopOnPluginFailure", Cmdlet("StopOnPluginFailure"),
                                      kHonoured),
      Row<&S::separate_reboots>("separateReboots", Cmdlet("SeparateReboots"), kHonoured),
      Row<&S::max_failed_nodes>("maxFailedNodes", Cmdlet("MaxFailedNodes"), kHonoured, kLive),
      Row<&S::max_retries_per_node>("maxRetriesPerNode", Cmdlet("MaxRetriesPerNode"), kHonoured,
                                    kLive),
      Row<&S::node_order>("nodeOrder", Cmdlet("NodeOrder"), kHonoured),
      Row<&S::site_aware_updating_order>("siteAwareUpdatingOrder", Cmdlet("SiteAwareUpdatingOrder"),
                                         kHonoured),
      Row<&S::pre_update_hook>("preUpdateHook", Cmdlet("PreUpdateScript"), kHonoured),
      Row<&S::post_update_hook>("postUpdateHook", Cmdlet("PostUpdateScript"), kHonoured),
      Row<&S::hook_runner>("hookRunner", Cmdlet("ConfigurationName"), kHonoured),
      Row<&S::require_all_nodes_online>("requireAllNodesOnline", Cmdlet("RequireAllNodesOnline"),
                                        kHonoured),
      Row<&S::warn_after>("warnAfter", Cmdlet("WarnAfter"), kHonoured, kLive),
      Row<&S::stop_after>("stopAfter", Cmdlet("StopAfter"), kHonoured, kLive),
      Row<&S::reboot_timeout_minutes>("rebootTimeoutMinutes", Cmdlet("RebootTimeoutMinutes"),
                                      kHonoured, kLive),
      Row<&S::drain_timeout_minutes>("drainTimeoutMinutes",
                                     Cmdlet("SuspendClusterNodeTimeoutMinutes"), kHonoured, kLive),
      Row<&S::agent_timeout_minutes>("agentTimeoutMinutes", kKcauOwn, kHonoured, kLive),
      Row<&S::drain>("drain", Cmdlet("ForcePauseNoDrain, ForcePauseAndDrain"), kHonoured),
      Row<&S::force_reboot>("forceReboot", Cmdlet("ForcePauseDrainAndReboot"), kHonoured),
      Row<&S::failback_mode>("failbackMode", Cmdlet("FailbackMode"), kHonoured, kLive),
      Row<&S::reboot_mode>("rebootMode", Cmdlet("RebootMode"), kHonoured),
      Row<&S::attempt_soft_reboot>("attemptSoftReboot", Cmdlet("AttemptSoftReboot"), kHonoured),
      Row<&S::os_rolling_upgrade>("osRollingUpgrade", Cmdlet("OsRollingUpgrade"), kHonoured),
      Row<&S::skip_update_checks>("skipUpdateChecks", Cmdlet("SkipUpdateChecks"), kHonoured, kLive),
      Row<&S::force_self_update>("forceSelfUpdate", Cmdlet("ForceSelfUpdate"), kHonoured),
      Row<&S::what_if>("whatIf", Cmdlet("WhatIf"), kHonoured),
      Row<&S::force_recovery>("forceRecovery", Cmdlet("ForceRecovery"), kHonoured, kLive),
      Row<&S::mode>("mode", Cmdlet("Invoke-CauScan"), kHonoured),
      Row<&S::stop>("stop", Cmdlet("Stop-CauRun"), kHonoured, kLive),
      Row<&S::max_unavailable>("maxUnavailable", kKcauOwn, kHonoured, kLive),
      Row<&S::settle>("settle", kKcauOwn, kNotYet, kLive),
  };
  return fields;
}

const SpecField* FindSpecField(const std::string& json_name) {
  for (const SpecField& field : SpecFields()) {
    if (field.json_name == json_name) return &field;
  }
  return nullptr;
}

}  // namespace kcau::crd
