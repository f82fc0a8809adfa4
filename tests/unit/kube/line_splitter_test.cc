#include "kube/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kcau::kube {
namespace {

std::vector<std::string> Drain(LineSplitter& lines) {
  std::vector<std::string> out;
  while (auto line = lines.NextLine()) out.push_back(*line);
  return out;
}

TEST(LineSplitterTest, LinesCutAnywhereAreJoined) {
  const std::string stream =
      "{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\"}\r\n\n{\"type\":\"DELETED\"}\n";
  // Every way of cutting the stream in two, and byte by byte, gives the same lines.
  const std::vector<std::string> want = {"{\"type\":\"ADDED\"}", "{\"type\":\"MODIFIED\"}", "",
                                         "{\"type\":\"DELETED\"}"};
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    LineSplitter lines;
    lines.Append(stream.substr(0, cut));
    std::vector<std::string> got = Drain(lines);
    lines.Append(stream.substr(cut));
    for (auto& line : Drain(lines)) got.push_back(line);
    EXPECT_EQ(got, want) << "cut at " << cut;
    EXPECT_FALSE(lines.Rest().has_value());
  }
  LineSplitter bytewise;
  std::vector<std::string> got;
  for (char c : stream) {
    bytewise.Append(std::string(1, c));
    for (auto& line : Drain(bytewise)) got.push_back(line);
  }
  EXPECT_EQ(got, want);
}

TEST(LineSplitterTest, RestIsTheUnterminatedTail) {
  LineSplitter lines;
  lines.Append("a\nbc");
  EXPECT_EQ(lines.NextLine(), "a");
  EXPECT_FALSE(lines.NextLine().has_value());
  EXPECT_EQ(lines.Buffered(), 2u);
  EXPECT_EQ(lines.Rest(), "bc");
  EXPECT_FALSE(lines.Rest().has_value());
}

TEST(LineSplitterTest, BufferDoesNotGrowWithTheStream) {
  LineSplitter lines;
  const std::string event(1000, 'x');
  for (int i = 0; i < 10000; ++i) {
    lines.Append(event + "\n");
    ASSERT_EQ(lines.NextLine(), event);
  }
  EXPECT_EQ(lines.Buffered(), 0u);
}

}  // namespace
}  // namespace kcau::kube
