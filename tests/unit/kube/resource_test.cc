#include "kube/resource.h"

#include <gtest/gtest.h>

namespace kcau::kube {
namespace {

TEST(EscapePathSegmentTest, EncodesEverythingButUnreservedCharacters) {
  struct Case {
    std::string in;
    std::string want;
  };
  for (const Case& c : {
           Case{"node-1.example_a~b", "node-1.example_a~b"},  // unreserved: as written
           Case{"päch-dienstag", "p%C3%A4ch-dienstag"},       // UTF-8, byte by byte
           Case{"a/b", "a%2Fb"},
           Case{"100%", "100%25"},
           Case{"%2F", "%252F"},  // an escape in a name is text, not an escape
           Case{"a b", "a%20b"},
           Case{"a?b", "a%3Fb"},
           Case{"a#b", "a%23b"},
           Case{"a+b&c=d;e", "a%2Bb%26c%3Dd%3Be"},
           Case{"", ""},
       }) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(EscapePathSegment(c.in), c.want);
  }
}

TEST(ResourcePathTest, EverySegmentIsEscaped) {
  const Resource configmaps{"", "v1", "configmaps", "ConfigMap", true};
  const Resource runs{"kcau.io", "v1alpha1", "updateruns", "UpdateRun", false};
  struct Case {
    std::string got;
    std::string want;
  };
  for (const Case& c : {
           Case{runs.ItemPath("", "päch-dienstag"),
                "/apis/kcau.io/v1alpha1/updateruns/p%C3%A4ch-dienstag"},
           Case{configmaps.ItemPath("ns", "hooks/pre"),
                "/api/v1/namespaces/ns/configmaps/hooks%2Fpre"},
           Case{configmaps.ItemPath("a b", "x?y#z"),
                "/api/v1/namespaces/a%20b/configmaps/x%3Fy%23z"},
           Case{configmaps.CollectionPath("té/st"), "/api/v1/namespaces/t%C3%A9%2Fst/configmaps"},
           Case{configmaps.CollectionPath(""), "/api/v1/configmaps"},  // all namespaces
           Case{Resource{"", "v1", "odd plural", "Odd", false}.CollectionPath(""),
                "/api/v1/odd%20plural"},
           Case{resources::Pods().ItemPath("web", "p1"), "/api/v1/namespaces/web/pods/p1"},
       }) {
    EXPECT_EQ(c.got, c.want);
  }
}

}  // namespace
}  // namespace kcau::kube
