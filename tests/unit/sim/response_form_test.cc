// How kcau-sim reads a request's Accept header: the first media type it can serve wins, as
// the API server negotiates; `as=` asks for a Table or for the objects' metadata.
#include "sim/response_form.h"

#include <gtest/gtest.h>

namespace kcau::sim {
namespace {

using Kind = ResponseForm::Kind;

TEST(ResponseFormTest, PlainJsonOrNoHeaderIsTheObjects) {
  for (const char* accept : {"", "application/json", "*/*", "application/json, */*",
                             "application/vnd.kubernetes.protobuf, application/json"}) {
    SCOPED_TRACE(accept);
    auto form = NegotiateResponseForm(accept, false);
    ASSERT_TRUE(form.has_value());
    EXPECT_EQ(form->kind, Kind::kObject);
  }
}

TEST(ResponseFormTest, KubectlsTableHeaderIsATable) {
  auto form = NegotiateResponseForm(
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
      "g=meta.k8s.io,application/json",
      true);
  ASSERT_TRUE(form.has_value());
  EXPECT_EQ(form->kind, Kind::kTable);
}

TEST(ResponseFormTest, MetadataIsOneObjectsOrAListsAsTheRequestIs) {
  const char* one = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
  const char* list = "application/json; as=PartialObjectMetadataList; g=meta.k8s.io; v=v1beta1";
  auto get = NegotiateResponseForm(one, false);
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->kind, Kind::kMetadata);
  EXPECT_EQ(get->version, "v1");
  auto listed = NegotiateResponseForm(list, true);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->kind, Kind::kMetadata);
  EXPECT_EQ(listed->version, "v1beta1");
  // The other kind's is picked, then cannot be served: 406, even with plain JSON after it.
  EXPECT_FALSE(NegotiateResponseForm(one, true).has_value());
  EXPECT_FALSE(NegotiateResponseForm(list, false).has_value());
  EXPECT_FALSE(NegotiateResponseForm(std::string(one) + ",application/json", true).has_value());
  // A form kcau-sim does not know is passed over for the next.
  auto fallback = NegotiateResponseForm(
      "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v9,application/json", false);
  ASSERT_TRUE(fallback.has_value());
  EXPECT_EQ(fallback->kind, Kind::kObject);
}

TEST(ResponseFormTest, AnUnknownGroupVersionOrFormIsNotServed) {
  for (const char* accept : {"application/json;as=PartialObjectMetadata;g=example.com;v=v1",
                             "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2",
                             "application/json;as=Whatever;g=meta.k8s.io;v=v1"}) {
    SCOPED_TRACE(accept);
    EXPECT_FALSE(NegotiateResponseForm(accept, false).has_value());
  }
}

}  // namespace
}  // namespace kcau::sim
