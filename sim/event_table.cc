#include "sim/event_table.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "sim/api_tables.h"

namespace kcau::sim {

namespace {

using kube::Json;

Json Column(const std::string& name, const std::string& type, int priority,
            const std::string& description) {
  Json c = Json::object();
  c["name"] = Json::string(name);
  c["type"] = Json::string(type);
  c["format"] = Json::string("");
  c["description"] = Json::string(description);
  c["priority"] = Json::number(priority);
  return c;
}

std::string StringAt(const Json& o, const char* field) {
  return o.has_string_field(field) ? o.at(field).as_string() : "";
}

std::string StringAt(const Json& o, const char* object, const char* field) {
  return o.has_object_field(object) ? StringAt(o.at(object), field) : "";
}

// "5m", "<unknown>" for a missing time: the server's translateTimestampSince.
std::string Since(const std::string& rfc3339, TimePoint now) {
  const auto t = ParseRfc3339(rfc3339);
  if (!t) return "<unknown>";
  return HumanAge(std::chrono::duration_cast<Duration>(now - *t));
}

}  // namespace

std::vector<Json> EventColumns() {
  return {
      Column("Last Seen", "string", 0,
             "The time at which the most recent occurrence of this "
             "event was recorded."),
      Column("Type", "string", 0, "Type of this event (Normal, Warning)."),
      Column("Reason", "string", 0,
             "Short, machine understandable string that gives the "
             "reason for this event being generated."),
      Column("Object", "string", 0, "The object that this event is about."),
      Column("Subobject", "string", 1, "The field of the object this event is about."),
      Column("Source", "string", 1, "The component reporting this event."),
      Column("Message", "string", 0,
             "A human-readable description of the status of this "
             "operation."),
      Column("First Seen", "string", 1, "The time at which the event was first recorded."),
      Column("Count", "string", 1, "The number of times this event has occurred."),
      Column("Name", "string", 1, "Name must be unique within a namespace."),
  };
}

std::vector<Json> EventCells(const Json& event, TimePoint now) {
  // Last and first seen: a series' last observation, else lastTimestamp, else eventTime.
  std::string last = StringAt(event, "series", "lastObservedTime");
  if (last.empty()) last = StringAt(event, "lastTimestamp");
  if (last.empty()) last = StringAt(event, "eventTime");
  std::string first = StringAt(event, "firstTimestamp");
  if (first.empty()) first = StringAt(event, "eventTime");
  std::string kind = StringAt(event, "involvedObject", "kind");
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string source = StringAt(event, "source", "component");
  if (source.empty()) source = StringAt(event, "reportingComponent");
  const std::string host = StringAt(event, "source", "host");
  if (!host.empty()) source += ", " + host;
  int64_t count = event.has_integer_field("count") ? event.at("count").as_number().to_int64() : 1;
  if (event.has_object_field("series") && event.at("series").has_integer_field("count")) {
    count = event.at("series").at("count").as_number().to_int64();
  }
  return {Json::string(Since(last, now)),
          Json::string(StringAt(event, "type")),
          Json::string(StringAt(event, "reason")),
          Json::string(kind + "/" + StringAt(event, "involvedObject", "name")),
          Json::string(StringAt(event, "involvedObject", "fieldPath")),
          Json::string(source),
          Json::string(StringAt(event, "message")),
          Json::string(Since(first, now)),
          Json::string(std::to_string(count)),
          Json::string(StringAt(event, "metadata", "name"))};
}

}  // namespace kcau::sim
