// The group a command run as a numeric user gets: the user's primary group in the host's
// /etc/passwd, or the uid itself when the host does not list the uid (a hook's
// hookRunner.runAsUser need not be a named account, as in a pod's runAsUser). Users that only
// a directory service (LDAP, sssd) knows are not seen; they get the uid as their group too.
//
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kcau::agent {

// The fourth field of the line of passwd(5) text whose third field is `uid`; nullopt when no
// well-formed line has it.
std::optional<int64_t> PrimaryGroupInPasswd(const std::string& passwd_text, int64_t uid);

// PrimaryGroupInPasswd over the /etc/passwd of the host whose root is at `root` ("/": this
// machine's), falling back to `uid` when the file or the line is missing.
int64_t PrimaryGroupOf(const std::string& root, int64_t uid);

}  // namespace kcau::agent
