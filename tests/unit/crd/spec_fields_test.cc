// The spec field table (crd/updaterun_fields.h) against what it stands for: each row reads
// and writes its own member, agrees with the CRD's schema and with README.md's table of
// cmdlet parameters, and integer rows have the bounds validation checks.
#include "crd/updaterun_fields.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "crd/updaterun_codec.h"
#include "crd/validation.h"
#include "tests/unit/crd/source_files.h"

namespace kcau::crd {
namespace {

using web::json::value;

// A value of each field as a user writes it: full.yaml's, plus those full.yaml cannot hold
// together with its others.
value SampleOf(const SpecField& field) {
  static const value full = Yaml(ReadFile("tests/testdata/updaterun/full.yaml")).at("spec");
  if (field.json_name == "nodeOrder") return Yaml("[node-2, node-1]");  // excludes sites
  EXPECT_TRUE(full.has_field(field.json_name))
      << "give " << field.Path() << " a value in tests/testdata/updaterun/full.yaml";
  return full.has_field(field.json_name) ? full.at(field.json_name) : value();
}

std::set<std::string> KeysOf(const value& object) {
  std::set<std::string> keys;
  for (const auto& [key, _] : object.as_object()) keys.insert(key);
  return keys;
}

TEST(SpecFieldsTest, EveryFieldRoundTripsThroughItsOwnMember) {
  const auto empty = DecodeUpdateRunSpec(value::object());
  ASSERT_TRUE(empty.ok());
  for (const SpecField& field : SpecFields()) {
    SCOPED_TRACE(field.Path());
    value doc = value::object();
    doc[field.json_name] = SampleOf(field);
    const auto decoded = DecodeUpdateRunSpec(doc);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->fields_present, std::set<std::string>{field.Path()});
    EXPECT_NE(*decoded, *empty) << "decoding set no member";
    // Written back under its own name only (and the default plug-in the decoder adds): a row
    // reading or writing another row's member shows here.
    const value encoded = EncodeUpdateRunSpec(*decoded);
    std::set<std::string> keys = KeysOf(encoded);
    if (field.json_name != "plugins") keys.erase("plugins");
    EXPECT_EQ(keys, std::set<std::string>{field.json_name}) << encoded.serialize();
    auto again = DecodeUpdateRunSpec(encoded);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    // The default plug-in, written out, is named by the document read back.
    if (field.json_name != "plugins") again->fields_present.erase("spec.plugins");
    EXPECT_EQ(*again, *decoded) << encoded.serialize();
  }
}

TEST(SpecFieldsTest, NamesAreUniqueAndFoundByName) {
  std::set<std::string> names;
  for (const SpecField& field : SpecFields()) {
    EXPECT_TRUE(names.insert(field.json_name).second) << field.json_name << " twice";
    EXPECT_EQ(FindSpecField(field.json_name), &field);
  }
  EXPECT_EQ(FindSpecField("clusterName"), nullptr);
}

// Checks one schema node against a row's kind; returns what disagrees, empty when nothing.
std::string SchemaMismatch(const SpecField& field, const value& node) {
  auto type_is = [&](const char* type) {
    return node.has_field("type") && node.at("type").as_string() == type;
  };
  auto items_are = [&](const char* type) {
    return type_is("array") && node.has_field("items") &&
           node.at("items").at("type").as_string() == type;
  };
  switch (field.kind) {
    case FieldKind::kBoolean:
      return type_is("boolean") ? "" : "want type boolean";
    case FieldKind::kInteger:
      return type_is("integer") ? "" : "want type integer";
    case FieldKind::kDuration:
      return type_is("string") && node.has_field("pattern") ? ""
                                                            : "want type string with a pattern";
    case FieldKind::kEnum: {
      if (!type_is("string") || !node.has_field("enum")) return "want type string with an enum";
      std::vector<std::string> values;
      for (const auto& v : node.at("enum").as_array()) values.push_back(v.as_string());
      return values == field.enum_names ? "" : "the schema's enum differs from the codec's";
    }
    case FieldKind::kStringList:
      return items_are("string") ? "" : "want an array of strings";
    case FieldKind::kIntOrPercent:
      return node.has_field("x-kubernetes-int-or-string") ? "" : "want x-kubernetes-int-or-string";
    case FieldKind::kObject:
      return type_is("object") ? "" : "want type object";
    case FieldKind::kObjectList:
      return items_are("object") ? "" : "want an array of objects";
  }
  return "unknown kind";
}

// The CRD's schema and the table must not drift: the same fields, of the same types.
TEST(SpecFieldsTest, TableAndCrdSchemaHaveTheSameFieldsOfTheSameTypes) {
  const value& props = SpecSchema().at("properties");
  std::set<std::string> table_names;
  for (const SpecField& field : SpecFields()) {
    SCOPED_TRACE(field.Path());
    table_names.insert(field.json_name);
    ASSERT_TRUE(props.has_field(field.json_name)) << "missing in crd/updaterun-crd.yaml";
    EXPECT_EQ(SchemaMismatch(field, props.at(field.json_name)), "")
        << FieldKindName(field.kind) << " vs " << props.at(field.json_name).serialize();
  }
  EXPECT_EQ(KeysOf(props), table_names);
}

// The table's integer rows are the integer fields validation bounds (and the CRD's schema
// states those bounds: CrdManifestTest.SchemaBoundsAreTheControllers).
TEST(SpecFieldsTest, IntegerFieldsHaveTheirBounds) {
  for (const SpecField& field : SpecFields()) {
    if (field.kind != FieldKind::kInteger) continue;
    SCOPED_TRACE(field.Path());
    const IntegerField* bounds = nullptr;
    for (const IntegerField& f : SpecIntegerFields()) {
      if (f.path == field.Path()) bounds = &f;
    }
    ASSERT_NE(bounds, nullptr) << "no bounds in SpecIntegerFields (crd/validation.cc)";
    value doc = value::object();
    doc[field.json_name] = value::number(bounds->minimum);
    const auto spec = DecodeUpdateRunSpec(doc);
    ASSERT_TRUE(spec.ok());
    EXPECT_EQ(bounds->value(*spec), bounds->minimum) << "the bounds read another member";
  }
}

std::string Trimmed(const std::string& s) {
  const size_t begin = s.find_first_not_of(' ');
  return begin == std::string::npos ? "" : s.substr(begin, s.find_last_not_of(' ') + 1 - begin);
}

// README.md's "| parameter | field | status |" rows naming `spec.NAME`.
std::vector<std::vector<std::string>> ReadmeRowsOf(const std::string& json_name) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream readme(ReadFile("README.md"));
  const std::string mention = "`spec." + json_name;
  for (std::string line; std::getline(readme, line);) {
    if (line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> cells;
    std::istringstream row(line.substr(2));
    for (std::string cell; std::getline(row, cell, '|');) {
      cells.push_back(Trimmed(cell));
    }
    if (cells.size() < 3) continue;
    for (size_t at = cells[1].find(mention); at != std::string::npos;
         at = cells[1].find(mention, at + 1)) {
      const char next = cells[1][at + mention.size()];
      if (next == '`' || next == ':' || next == '[') {
        rows.push_back(cells);
        break;
      }
    }
  }
  return rows;
}

std::vector<std::string> Parameters(const std::string& list) {
  std::vector<std::string> out;
  std::istringstream in(list);
  for (std::string p; std::getline(in, p, ',');) out.push_back(Trimmed(p));
  return out;
}

// Each field mirrors a cmdlet parameter, which its CRD description and README.md's table
// name, or is kcau's own ("(beyond CAU)" in README.md); README.md says it is implemented
// exactly when the controller honours it.
TEST(SpecFieldsTest, EveryFieldMirrorsACmdletParameterOrIsKcausOwn) {
  const value& props = SpecSchema().at("properties");
  for (const SpecField& field : SpecFields()) {
    SCOPED_TRACE(field.Path());
    EXPECT_NE(field.kcau_own, !field.cmdlet_parameter.empty())
        << "name the cmdlet parameter, or mark the field kcau's own";
    const auto rows = ReadmeRowsOf(field.json_name);
    ASSERT_FALSE(rows.empty()) << "no row of README.md's parameter table names it";
    for (const auto& row : rows) {
      EXPECT_EQ(row[2].rfind("implemented", 0) == 0, field.honoured == Honoured::kYes)
          << "README.md says: " << row[2].substr(0, 40);
    }
    if (field.kcau_own) {
      EXPECT_EQ(rows[0][0], "(beyond CAU)");
      continue;
    }
    const std::string description = props.at(field.json_name).has_field("description")
                                        ? props.at(field.json_name).at("description").as_string()
                                        : "";
    for (const std::string& parameter : Parameters(field.cmdlet_parameter)) {
      EXPECT_NE(description.find(parameter), std::string::npos)
          << parameter << " not in the CRD's description: " << description;
      bool in_readme = false;
      for (const auto& row : rows) in_readme |= row[0].find(parameter) != std::string::npos;
      EXPECT_TRUE(in_readme) << parameter << " not in README.md's row of the field";
    }
  }
}

// docs/spec-edits.md's table: the left column is what a running run applies, the right what
// it keeps as started; each field in exactly the column of its row's mid_run_edit.
TEST(SpecFieldsTest, DocumentedMidRunEditsMatchTheTable) {
  const std::string doc = ReadFile("docs/spec-edits.md");
  std::set<std::string> applied, kept;
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const size_t middle = line.find(" | ", 2);
    ASSERT_NE(middle, std::string::npos) << line;
    for (auto [from, to, into] : {std::make_tuple(size_t{0}, middle, &applied),
                                  std::make_tuple(middle, line.size(), &kept)}) {
      for (size_t at = line.find('`', from); at != std::string::npos && at < to;
           at = line.find('`', line.find('`', at + 1) + 1)) {
        into->insert(line.substr(at + 1, line.find('`', at + 1) - at - 1));
      }
    }
  }
  for (const auto& field : SpecFields()) {
    const bool live = field.mid_run_edit == MidRunEdit::kApplied;
    EXPECT_EQ(applied.count(field.json_name), live ? 1u : 0u) << field.json_name;
    EXPECT_EQ(kept.count(field.json_name), live ? 0u : 1u) << field.json_name;
  }
  EXPECT_EQ(applied.size() + kept.size(), SpecFields().size());
}

// Every field of the CRD, spec and status, nested ones included, is described: `kubectl
// explain updaterun.<path>` prints each description.
void ExpectDescribed(const value& schema, const std::string& path) {
  if (schema.has_object_field("items")) ExpectDescribed(schema.at("items"), path + "[]");
  if (!schema.has_object_field("properties")) return;
  for (const auto& [name, property] : schema.at("properties").as_object()) {
    const std::string at = path.empty() ? name : path + "." + name;
    EXPECT_TRUE(property.has_string_field("description") &&
                !property.at("description").as_string().empty())
        << at << " has no description in crd/updaterun-crd.yaml";
    ExpectDescribed(property, at);
  }
}

TEST(SpecFieldsTest, EveryCrdFieldIsDescribed) {
  auto docs = YamlToJsonDocuments(ReadFile("crd/updaterun-crd.yaml"));
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  const value& schema =
      docs->at(0).at("spec").at("versions").at(0).at("schema").at("openAPIV3Schema");
  ExpectDescribed(schema, "");
}

}  // namespace
}  // namespace kcau::crd
