// The whole UpdateRun object: its metadata here, its spec and status through their codecs
// (spec_codec.cc, status_codec.cc). Pure functions, thread-safe.
#include "crd/updaterun_codec.h"

#include <utility>

#include "crd/json_reader.h"

namespace kcau::crd {

namespace {

using jsonio::Expect;
using jsonio::Fail;
using jsonio::Int64;
using jsonio::String;
using jsonio::Strings;
using web::json::value;

void DecodeMetadata(const value& object, UpdateRun& run) {
  Expect(object, value::Object, "(object)", "object");
  if (!object.has_field("metadata")) Fail("metadata", "missing");
  const value& meta = object.at("metadata");
  Expect(meta, value::Object, "metadata", "object");
  if (!meta.has_field("name")) Fail("metadata.name", "missing");
  run.name = String(meta.at("name"), "metadata.name");
  if (meta.has_field("uid")) run.uid = String(meta.at("uid"), "metadata.uid");
  if (meta.has_field("resourceVersion")) {
    run.resource_version = String(meta.at("resourceVersion"), "metadata.resourceVersion");
  }
  if (meta.has_field("generation")) {
    run.generation = Int64(meta.at("generation"), "metadata.generation");
  }
  run.deleting = meta.has_field("deletionTimestamp") && !meta.at("deletionTimestamp").is_null();
  if (meta.has_field("finalizers")) {
    run.finalizers = Strings(meta.at("finalizers"), "metadata.finalizers");
  }
}

}  // namespace

StatusOr<UpdateRun> DecodeUpdateRun(const value& object) {
  UpdateRun run;
  try {
    DecodeMetadata(object, run);
  } catch (const jsonio::DecodeError& e) {
    return InvalidArgumentError(e.what());
  }
  // A missing spec is an empty one: every node, the default plug-in.
  const bool has_spec = object.has_field("spec") && !object.at("spec").is_null();
  const value empty = value::object();
  StatusOr<UpdateRunSpec> spec = DecodeUpdateRunSpec(has_spec ? object.at("spec") : empty);
  if (!spec.ok()) return spec.status();
  run.spec = std::move(*spec);
  if (object.has_field("status")) {
    StatusOr<UpdateRunStatus> status = DecodeUpdateRunStatus(object.at("status"));
    if (!status.ok()) return status.status();
    run.status = std::move(*status);
  }
  return run;
}

}  // namespace kcau::crd
