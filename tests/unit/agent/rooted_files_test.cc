// The host's files seen through a mount of its root: symlinks lead where they lead on the
// host (never into this machine's own /run), writes are atomic, errors name the path.
#include "agent/rooted_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent/path_in_root.h"
#include "agent/primary_group.h"
#include "tests/unit/agent/temp_dir.h"

namespace kcau::agent {
namespace {

using testing::TempDir;

// A host root with the symlinks real hosts have.
void LayOutHost(const TempDir& root) {
  root.MakeDirectory("run");
  root.Symlink("/run", "var/run");                        // absolute, as on Debian
  root.Symlink("../run/resolv.conf", "etc/resolv.conf");  // relative
  root.Symlink("/etc", "etc-link");
  root.Symlink("/loop2", "loop1");
  root.Symlink("/loop1", "loop2");
}

struct ResolveCase {
  std::string name;
  std::string path;
  FinalSymlink final_symlink;
  std::string want;  // relative to the root
};

TEST(ResolveInRootTest, FollowsSymlinksAsTheHostWould) {
  TempDir root;
  LayOutHost(root);
  const std::vector<ResolveCase> cases = {
      {"plain missing file", "/etc/os-release", FinalSymlink::kFollow, "/etc/os-release"},
      {"absolute symlink stays in root", "/var/run/reboot-required", FinalSymlink::kFollow,
       "/run/reboot-required"},
      {"final symlink kept", "/var/run", FinalSymlink::kKeep, "/var/run"},
      {"final symlink followed", "/var/run", FinalSymlink::kFollow, "/run"},
      {"trailing slash follows", "/var/run/", FinalSymlink::kKeep, "/run"},
      {"relative symlink", "/etc/resolv.conf", FinalSymlink::kFollow, "/run/resolv.conf"},
      {"dotdot stops at root", "/../../etc/passwd", FinalSymlink::kFollow, "/etc/passwd"},
      {"dotdot after symlink is physical", "/var/run/../etc", FinalSymlink::kFollow, "/etc"},
      {"dotdot through a missing dir", "/missing/a/../b", FinalSymlink::kFollow, "/missing/b"},
      {"symlinked directory", "/etc-link/resolv.conf", FinalSymlink::kFollow, "/run/resolv.conf"},
      {"extra slashes and dots", "//etc///x/./", FinalSymlink::kFollow, "/etc/x"},
  };
  for (const ResolveCase& c : cases) {
    StatusOr<std::string> got = ResolveInRoot(root.path(), c.path, c.final_symlink);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
    EXPECT_EQ(*got, root.path() + c.want) << c.name;
  }
  StatusOr<std::string> whole = ResolveInRoot(root.path(), "/", FinalSymlink::kFollow);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, root.path());
}

TEST(ResolveInRootTest, RootSlashIsThisMachine) {
  StatusOr<std::string> got = ResolveInRoot("/", "/etc/../etc/passwd", FinalSymlink::kFollow);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "/etc/passwd");
}

TEST(ResolveInRootTest, RejectsRelativePathsAndLoops) {
  TempDir root;
  LayOutHost(root);
  StatusOr<std::string> relative = ResolveInRoot(root.path(), "etc/passwd", FinalSymlink::kFollow);
  EXPECT_EQ(relative.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(relative.status().message().find("not absolute"), std::string::npos);
  StatusOr<std::string> loop = ResolveInRoot(root.path(), "/loop1/x", FinalSymlink::kFollow);
  EXPECT_EQ(loop.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(loop.status().message().find("too many levels"), std::string::npos);
}

TEST(RootedFilesTest, WriteThenReadRoundTripsWithExactMode) {
  TempDir root;
  LayOutHost(root);
  RootedFiles files(root.path());
  const mode_t old_umask = umask(077);  // the mode must not depend on the umask
  Status written = files.WriteFile("/etc/kcau.conf", "line 1\nline 2\n", 0644);
  umask(old_umask);
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(root.Read("etc/kcau.conf"), "line 1\nline 2\n");
  StatusOr<std::string> read = files.ReadFile("/etc/kcau.conf");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, "line 1\nline 2\n");
  StatusOr<FileInfo> info = files.Stat("/etc/kcau.conf");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->exists);
  EXPECT_FALSE(info->is_directory);
  EXPECT_EQ(info->mode, 0644u);
  EXPECT_EQ(info->uid, static_cast<int64_t>(geteuid()));
}

TEST(RootedFilesTest, WriteReplacesAndLeavesNoTemporaryFile) {
  TempDir root;
  RootedFiles files(root.path());
  root.MakeDirectory("etc");
  ASSERT_TRUE(files.WriteFile("/etc/motd", "old", 0600).ok());
  ASSERT_TRUE(files.WriteFile("/etc/motd", "new", 0640).ok());
  EXPECT_EQ(root.Read("etc/motd"), "new");
  StatusOr<std::vector<std::string>> names = files.ListDirectory("/etc");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"motd"});
  EXPECT_EQ(files.Stat("/etc/motd")->mode, 0640u);
}

TEST(RootedFilesTest, WriteThroughHostSymlinksStaysInTheRoot) {
  TempDir root;
  LayOutHost(root);
  RootedFiles files(root.path());
  ASSERT_TRUE(
      files.WriteFile("/var/run/reboot-required", "*** System restart required ***\n").ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(root.At("run/reboot-required")));
  // A symlink at the path is followed: the file it points to is replaced, the link stays.
  ASSERT_TRUE(files.WriteFile("/etc/resolv.conf", "nameserver 10.0.0.1\n").ok());
  EXPECT_EQ(root.Read("run/resolv.conf"), "nameserver 10.0.0.1\n");
  EXPECT_TRUE(std::filesystem::is_symlink(root.At("etc/resolv.conf")));
  StatusOr<std::string> read = files.ReadFile("/etc/resolv.conf");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "nameserver 10.0.0.1\n");
}

TEST(RootedFilesTest, WriteErrorsNameTheProblemAndCleanUp) {
  TempDir root;
  root.MakeDirectory("etc/existing-dir");
  RootedFiles files(root.path());
  Status missing_dir = files.WriteFile("/nonexistent/file", "x");
  EXPECT_EQ(missing_dir.code(), StatusCode::kNotFound) << missing_dir.ToString();
  Status bad_mode = files.WriteFile("/etc/x", "x", 010644);
  EXPECT_EQ(bad_mode.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_mode.message().find("mode 10644"), std::string::npos) << bad_mode.ToString();
  Status no_name = files.WriteFile("/", "x");
  EXPECT_EQ(no_name.code(), StatusCode::kInvalidArgument) << no_name.ToString();
  // The rename over a directory fails after the temporary file was written: it must go.
  Status over_dir = files.WriteFile("/etc/existing-dir", "x");
  EXPECT_FALSE(over_dir.ok());
  StatusOr<std::vector<std::string>> names = files.ListDirectory("/etc");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"existing-dir"});
}

TEST(RootedFilesTest, ReadErrors) {
  TempDir root;
  root.MakeDirectory("etc");
  RootedFiles files(root.path());
  EXPECT_EQ(files.ReadFile("/etc/absent").status().code(), StatusCode::kNotFound);
  StatusOr<std::string> dir = files.ReadFile("/etc");
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dir.status().message().find("is a directory"), std::string::npos);
  EXPECT_EQ(files.ReadFile("etc").status().code(), StatusCode::kInvalidArgument);
}

TEST(RootedFilesTest, RemoveFileLinkOrEmptyDirectory) {
  TempDir root;
  LayOutHost(root);
  root.Write("run/resolv.conf", "x");
  root.Write("var/lib/full/file", "x");
  root.MakeDirectory("var/lib/empty");
  RootedFiles files(root.path());
  ASSERT_TRUE(files.RemoveFile("/etc/resolv.conf").ok());  // the link, not its target
  EXPECT_FALSE(
      std::filesystem::exists(std::filesystem::symlink_status(root.At("etc/resolv.conf"))));
  EXPECT_TRUE(std::filesystem::exists(root.At("run/resolv.conf")));
  ASSERT_TRUE(files.RemoveFile("/run/resolv.conf").ok());
  EXPECT_FALSE(std::filesystem::exists(root.At("run/resolv.conf")));
  EXPECT_TRUE(files.RemoveFile("/run/resolv.conf").ok());  // absent is fine
  EXPECT_TRUE(files.RemoveFile("/no/such/dir/file").ok());
  ASSERT_TRUE(files.RemoveFile("/var/lib/empty").ok());
  EXPECT_FALSE(std::filesystem::exists(root.At("var/lib/empty")));
  Status full = files.RemoveFile("/var/lib/full");
  EXPECT_EQ(full.code(), StatusCode::kInvalidArgument) << full.ToString();
  EXPECT_TRUE(std::filesystem::exists(root.At("var/lib/full/file")));
}

TEST(RootedFilesTest, StatReportsModeOwnerAndKind) {
  TempDir root;
  LayOutHost(root);
  root.Write("usr/bin/tool", "#!/bin/sh\n");
  if (geteuid() == 0) {
    ASSERT_EQ(chown(root.At("usr/bin/tool").c_str(), 1234, 4321), 0);
  }
  ASSERT_EQ(chmod(root.At("usr/bin/tool").c_str(), 04755), 0);  // after chown, which clears 04000
  RootedFiles files(root.path());
  StatusOr<FileInfo> tool = files.Stat("/usr/bin/tool");
  ASSERT_TRUE(tool.ok());
  EXPECT_TRUE(tool->exists);
  EXPECT_EQ(tool->mode, 04755u);
  if (geteuid() == 0) {
    EXPECT_EQ(tool->uid, 1234);
    EXPECT_EQ(tool->gid, 4321);
  }
  StatusOr<FileInfo> dir = files.Stat("/var/run");  // a symlink reports its target
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(dir->exists);
  EXPECT_TRUE(dir->is_directory);
  StatusOr<FileInfo> absent = files.Stat("/var/run/absent");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->exists);
}

TEST(RootedFilesTest, ListDirectorySortedThroughSymlinks) {
  TempDir root;
  LayOutHost(root);
  for (const char* name : {"b", "a", "C", "a.txt"}) root.Write(std::string("run/") + name, "");
  RootedFiles files(root.path());
  StatusOr<std::vector<std::string>> names = files.ListDirectory("/var/run");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"C", "a", "a.txt", "b"}));
  EXPECT_EQ(files.ListDirectory("/absent").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(files.ListDirectory("/run/a").status().code(), StatusCode::kInvalidArgument);
}

struct PasswdCase {
  std::string name;
  std::string passwd;
  int64_t uid;
  std::optional<int64_t> want;
};

TEST(PrimaryGroupTest, ReadsTheFourthFieldOfTheUidsLine) {
  const std::string debian =
      "root:x:0:0:root:/root:/bin/bash\n"
      "sync:x:4:65534:sync:/bin:/bin/sync\n"
      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  const std::vector<PasswdCase> cases = {
      {"root", debian, 0, 0},
      {"gid differs from uid", debian, 4, 65534},
      {"absent uid", debian, 1000, std::nullopt},
      {"empty trailing fields", "hook:x:1234:4321::/:\n", 1234, 4321},
      {"no newline at end", "hook:x:1234:4321:::", 1234, 4321},
      {"too few fields", "hook:x:1234\n", 1234, std::nullopt},
      {"non-numeric gid skipped", "a:x:7:seven::/:\nb:x:7:8::/:\n", 7, 8},
      {"NIS compat line", "+::::::\nhook:x:9:10::/:\n", 9, 10},
      {"uid as a prefix does not match", "hook:x:12345:1::/:\n", 1234, std::nullopt},
      {"empty file", "", 0, std::nullopt},
  };
  for (const PasswdCase& c : cases) {
    EXPECT_EQ(PrimaryGroupInPasswd(c.passwd, c.uid), c.want) << c.name;
  }
}

TEST(PrimaryGroupTest, LooksInTheRootsPasswdAndFallsBackToTheUid) {
  TempDir root;
  EXPECT_EQ(PrimaryGroupOf(root.path(), 1234), 1234);  // no /etc/passwd at all
  root.Write("etc/passwd", "hook:x:1234:4321::/:/bin/sh\n");
  EXPECT_EQ(PrimaryGroupOf(root.path(), 1234), 4321);
  EXPECT_EQ(PrimaryGroupOf(root.path(), 5555), 5555);
}

}  // namespace
}  // namespace kcau::agent
