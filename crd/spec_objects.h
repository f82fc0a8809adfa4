// Decoding and encoding of the UpdateRun spec's structured values: the node selector, the
// plug-in list, the hooks, the hook runner, maxUnavailable (int or percentage) and settle.
// The field table (crd/updaterun_fields.h) refers to these for its non-scalar rows.
//
// Decoders take the value and its JSON path and throw jsonio::DecodeError naming the path
// of the first problem (an unknown key included); call them through the codec's public
// functions (crd/updaterun_codec.h). Encoders omit what is unset. Pure, thread-safe.
#pragma once

#include <cpprest/json.h>

#include <string>
#include <vector>

#include "crd/updaterun_types.h"

namespace kcau::crd {

LabelSelector DecodeSelector(const web::json::value& v, const std::string& path);
web::json::value EncodeSelector(const LabelSelector& selector);

std::vector<PluginSpec> DecodePlugins(const web::json::value& v, const std::string& path);
web::json::value EncodePlugins(const std::vector<PluginSpec>& plugins);

HookSpec DecodeHook(const web::json::value& v, const std::string& path);
web::json::value EncodeHook(const HookSpec& hook);

HookRunnerSpec DecodeHookRunner(const web::json::value& v, const std::string& path);
web::json::value EncodeHookRunner(const HookRunnerSpec& runner);

IntOrPercent DecodeIntOrPercent(const web::json::value& v, const std::string& path);
web::json::value EncodeIntOrPercent(const IntOrPercent& n);

SettleSpec DecodeSettle(const web::json::value& v, const std::string& path);
web::json::value EncodeSettle(const SettleSpec& settle);

}  // namespace kcau::crd
