// The reconciler's allow-list of spec fields, as the field table's Honoured column gives it.
#include "reconcilers/supported_fields.h"

#include <gtest/gtest.h>

#include "crd/updaterun_fields.h"

namespace kcau::reconcilers {
namespace {

TEST(SupportedFieldsTest, OnlyFieldsNotYetHonouredAreRefusedByName) {
  crd::UpdateRunSpec spec;
  for (const crd::SpecField& field : crd::SpecFields()) spec.fields_present.insert(field.Path());
  // README.md's parameter table: settle is the one field "not yet" implemented.
  EXPECT_EQ(UnsupportedFieldsIn(spec), std::vector<std::string>{"spec.settle"});
  EXPECT_EQ(SupportedSpecFields().size(), crd::SpecFields().size() - 1);
  EXPECT_TRUE(SupportedSpecFields().count("spec.drain"));

  crd::UpdateRunSpec few;
  few.fields_present = {"spec.maxFailedNodes", "spec.nodeSelector"};
  EXPECT_TRUE(UnsupportedFieldsIn(few).empty());
}

}  // namespace
}  // namespace kcau::reconcilers
