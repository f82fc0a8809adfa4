#include "crd/yaml_json.h"

#include <gtest/gtest.h>

namespace kcau::crd {
namespace {

TEST(YamlJsonTest, ScalarsAreTypedAsKubernetesReadsThem) {
  auto v = YamlToJson(
      "b: true\nn: 42\nneg: -3\nf: 1.5\ns: hello\nq: \"42\"\nz: ~\nlist: [a, 2]\n"
      "obj: {k: v}\nv: 1.0.3\n");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->serialize(),
            R"({"b":true,"f":1.5,"list":["a",2],"n":42,"neg":-3,"obj":{"k":"v"},"q":"42",)"
            R"("s":"hello","v":"1.0.3","z":null})");
}

TEST(YamlJsonTest, MultiDocumentStreamsSkipEmptyDocuments) {
  auto docs = YamlToJsonDocuments("a: 1\n---\n---\nb: 2\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1].serialize(), R"({"b":2})");
  EXPECT_FALSE(YamlToJson("a: 1\n---\nb: 2\n").ok());
}

TEST(YamlJsonTest, ErrorsNameLineAndColumn) {
  auto v = YamlToJson("a: 1\nb: [unclosed\n");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("line "), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("column "), std::string::npos);
}

TEST(YamlJsonTest, Yaml11BooleansAsKubectlReadsThem) {
  auto v = YamlToJson(
      "a: yes\nb: No\nc: ON\nd: off\ne: y\nf: N\ng: 'yes'\nh: \"on\"\ni: yess\nj: True\n");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->serialize(),
            R"({"a":true,"b":false,"c":true,"d":false,"e":true,"f":false,"g":"yes","h":"on",)"
            R"("i":"yess","j":true})");
}

TEST(YamlJsonTest, JsonToYamlQuotesStringsThatWouldReadAsSomethingElse) {
  auto v = YamlToJson(
      "s: {yes: 'yes', num: '42', empty: '', nul: 'null', plain: node-1, colon: 'a: b'}\n"
      "n: 3\nb: false\nlist: [x, 'off']\nz: ~\n");
  ASSERT_TRUE(v.ok());
  const std::string yaml = JsonToYaml(*v);
  EXPECT_NE(yaml.find("\"yes\": \"yes\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("num: \"42\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("plain: node-1"), std::string::npos) << yaml;
  auto back = YamlToJson(yaml);
  ASSERT_TRUE(back.ok()) << yaml;
  EXPECT_EQ(back->serialize(), v->serialize()) << yaml;
}

}  // namespace
}  // namespace kcau::crd
