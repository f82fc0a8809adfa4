#include "sim/agent_root.h"

#include <elf.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <vector>

#include "agent/path_in_root.h"
#include "agent/rooted_files.h"

namespace kcau::sim {

namespace {

namespace fs = std::filesystem;

// What the hook scripts, hotfix scripts and the agent's own commands (mkdir -p for the
// hotfix records) call; busybox answers to the name it is called by.
constexpr const char* kApplets[] = {"sh",   "echo",  "cat",   "touch", "id",   "sleep",
                                    "test", "[",     "mkdir", "rm",    "ls",   "printf",
                                    "true", "false", "env",   "date",  "grep", "wc"};

Status FileError(const std::string& what, const std::error_code& ec) {
  return InternalError(what + ": " + ec.message());
}

// Whether the ELF file at `path` asks for a program interpreter (a dynamic loader).
StatusOr<bool> NeedsLoader(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof(header)) ||
      std::string(reinterpret_cast<const char*>(header.e_ident), SELFMAG) != ELFMAG ||
      header.e_ident[EI_CLASS] != ELFCLASS64) {
    return InvalidArgumentError(path + " is not a 64-bit ELF executable");
  }
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program{};
    in.seekg(static_cast<std::streamoff>(header.e_phoff + i * header.e_phentsize));
    if (!in.read(reinterpret_cast<char*>(&program), sizeof(program))) {
      return InvalidArgumentError(path + ": truncated ELF program headers");
    }
    if (program.p_type == PT_INTERP) return true;
  }
  return false;
}

// mkdir -p of `path` inside `root`, each new directory with `mode`.
Status MakeDirectories(const std::string& root, const std::string& path, fs::perms mode) {
  StatusOr<std::string> resolved = agent::ResolveInRoot(root, path, agent::FinalSymlink::kFollow);
  if (!resolved.ok()) return resolved.status();
  // The walk left no symlink in what exists, so creating the rest stays inside the root.
  std::vector<fs::path> missing;
  for (fs::path p = *resolved; !fs::exists(p) && p != p.parent_path(); p = p.parent_path()) {
    missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::error_code ec;
    fs::create_directory(*it, ec);
    if (!ec) fs::permissions(*it, mode, ec);
    if (ec) return FileError("mkdir " + it->string(), ec);
  }
  return Status::Ok();
}

Status Write(const std::string& root, const std::string& path, const std::string& content,
             uint32_t mode) {
  const std::string parent = path.substr(0, path.rfind('/'));
  if (!parent.empty()) {
    if (Status made = MakeDirectories(root, parent, fs::perms(0755)); !made.ok()) return made;
  }
  return agent::RootedFiles(root).WriteFile(path, content, mode);
}

// mkdir `root` (which must not exist), mode 0755: a root the script plug-in trusts is owned
// by root and writable by nobody else.
Status MakeRootDirectory(const std::string& root) {
  std::error_code ec;
  if (!fs::create_directory(root, ec)) {
    return ec ? FileError("mkdir " + root, ec)
              : AlreadyExistsError("mkdir " + root + ": it exists already");
  }
  fs::permissions(root, fs::perms(0755), ec);
  return ec ? FileError("chmod " + root, ec) : Status::Ok();
}

// The boot ID and the scenario's files, last, so they win over what a template holds.
Status WriteSimFiles(const std::string& root, const std::string& boot_id,
                     const std::map<std::string, RootFile>& files) {
  if (Status s = WriteRootBootId(root, boot_id); !s.ok()) return s;
  for (const auto& [path, file] : files) {
    if (Status s = Write(root, path, file.content, file.mode); !s.ok()) {
      return Status(s.code(), "files[" + path + "]: " + s.message());
    }
  }
  return Status::Ok();
}

// Runs `cp -a FROM/. TO/`: std::filesystem::copy keeps neither owners nor device nodes.
Status CopyTree(const std::string& from, const std::string& to) {
  const std::string source = from + "/.";
  const std::string target = to + "/";
  std::vector<char*> argv = {const_cast<char*>("cp"),           const_cast<char*>("-a"),
                             const_cast<char*>("--"),           const_cast<char*>(source.c_str()),
                             const_cast<char*>(target.c_str()), nullptr};
  pid_t pid = -1;
  if (int err = posix_spawnp(&pid, "cp", nullptr, nullptr, argv.data(), environ); err != 0) {
    return InternalError("cannot run cp: " +
                         std::error_code(err, std::generic_category()).message());
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return InternalError("waiting for cp -a " + source + " " + target);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return InternalError("cp -a " + source + " " + target + " failed (status " +
                         std::to_string(status) + "; its error is on kcau-sim's stderr)");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> FindStaticBusybox() {
  for (const char* path : {"/bin/busybox", "/usr/bin/busybox"}) {
    if (access(path, X_OK) != 0) continue;
    StatusOr<bool> dynamic = NeedsLoader(path);
    if (!dynamic.ok()) return dynamic.status();
    if (*dynamic) {
      return InvalidArgumentError(std::string(path) +
                                  " is linked dynamically and cannot run in a bare root: "
                                  "apt-get install busybox-static");
    }
    return std::string(path);
  }
  return NotFoundError(
      "busybox not found (/bin/busybox, /usr/bin/busybox): apt-get install busybox-static");
}

Status MakeAgentRoot(const std::string& root, const std::string& busybox,
                     const std::string& boot_id, const std::map<std::string, RootFile>& files) {
  if (Status made = MakeRootDirectory(root); !made.ok()) return made;
  std::error_code ec;
  for (const auto& [dir, mode] :
       std::vector<std::pair<std::string, unsigned>>{{"/bin", 0755},
                                                     {"/etc", 0755},
                                                     {"/tmp", 01777},
                                                     {"/root", 0700},
                                                     {"/var/lib/kcau", 0755},
                                                     {kRootSimDir, 0755}}) {
    if (Status made = MakeDirectories(root, dir, fs::perms(mode)); !made.ok()) return made;
  }
  fs::copy_file(busybox, root + "/bin/busybox", ec);
  if (ec) return FileError("copy " + busybox + " into " + root, ec);
  for (const char* applet : kApplets) {
    fs::create_symlink("busybox", root + "/bin/" + applet, ec);
    if (ec) return FileError("link " + root + "/bin/" + applet, ec);
  }
  fs::create_symlink("/run", root + "/var/run", ec);
  if (ec) return FileError("link " + root + "/var/run", ec);
  if (Status s = Write(root, "/etc/passwd",
                       "root:x:0:0:root:/root:/bin/sh\n"
                       "user:x:1000:1000:an unprivileged user:/tmp:/bin/sh\n"
                       "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n",
                       0644);
      !s.ok()) {
    return s;
  }
  if (Status s = Write(root, "/etc/group", "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n", 0644);
      !s.ok()) {
    return s;
  }
  return WriteSimFiles(root, boot_id, files);
}

Status MakeAgentRootFromTemplate(const std::string& root, const std::string& root_template,
                                 const std::string& boot_id,
                                 const std::map<std::string, RootFile>& files) {
  std::error_code ec;
  if (!fs::is_directory(root_template, ec)) {
    return NotFoundError("rootTemplate " + root_template + " is not a directory" +
                         (ec ? ": " + ec.message() : ""));
  }
  if (Status made = MakeRootDirectory(root); !made.ok()) return made;
  if (Status copied = CopyTree(root_template, root); !copied.ok()) {
    return Status(copied.code(), "rootTemplate: " + copied.message());
  }
  // cp -a gave the root the template's own mode; the script plug-in trusts only 0755.
  fs::permissions(root, fs::perms(0755), ec);
  if (ec) return FileError("chmod " + root, ec);
  for (const char* dir : {"/var/lib/kcau", kRootSimDir}) {
    if (Status made = MakeDirectories(root, dir, fs::perms(0755)); !made.ok()) return made;
  }
  return WriteSimFiles(root, boot_id, files);
}

Status WriteRootBootId(const std::string& root, const std::string& boot_id) {
  return Write(root, std::string(kRootSimDir) + "/boot_id", boot_id + "\n", 0644);
}

StatusOr<std::optional<std::string>> TakeRebootRequest(const std::string& root) {
  const agent::RootedFiles files(root);
  const std::string path = std::string(kRootSimDir) + "/reboot";
  StatusOr<std::string> text = files.ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return std::optional<std::string>();
    return text.status();
  }
  if (Status removed = files.RemoveFile(path); !removed.ok()) return removed;
  std::string kind = *text;
  while (!kind.empty() && std::isspace(static_cast<unsigned char>(kind.back()))) kind.pop_back();
  if (kind != "soft" && kind != "kexec") kind = "full";
  return std::optional<std::string>(kind);
}

Status EmptyRunOnReboot(const std::string& root) {
  StatusOr<std::string> run = agent::ResolveInRoot(root, "/run", agent::FinalSymlink::kFollow);
  if (!run.ok()) return run.status();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(*run, ec)) {
    if (entry.path().filename() == fs::path(kRootSimDir).filename()) continue;
    fs::remove_all(entry.path(), ec);
    if (ec) return FileError("empty " + entry.path().string(), ec);
  }
  return ec ? FileError("list " + *run, ec) : Status::Ok();
}

}  // namespace kcau::sim
