// Object names as kube-apiserver checks them on create, in its words: which rule each kind's
// metadata.name follows (DNS-1123 subdomain for most, DNS-1123 label for Namespaces, DNS-1035
// label for Services, "path segment" for RBAC roles and bindings), generateName's prefix, and
// the 422 Invalid message of NewInvalid ('ConfigMap "Bad_Name" is invalid: metadata.name:
// Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of ...').
//
// Messages list one field error per entry, joined with "; " (the simulator's form: the HTTP
// front door rebuilds the API server's causes and its "[a, b]" aggregate from it); every value
// in them is quoted as Go's %q does, so a name holding "; " or a quote cannot split them.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "kube/resource.h"

namespace kcau::sim {

enum class NameRule {
  kDnsSubdomain,  // lowercase RFC 1123 subdomain, at most 253 characters
  kDnsLabel,      // lowercase RFC 1123 label, at most 63 characters
  kDns1035Label,  // RFC 1035 label (starts with a letter), at most 63 characters
  kPathSegment,   // anything but "." and "..", without '/' or '%'
};

// The rule the API server applies to `r`'s names.
NameRule NameRuleFor(const kube::Resource& r);

// What is wrong with `name` under `rule`, one message per problem, empty when it is valid.
// prefix: `name` is a generateName, to which random characters are appended.
std::vector<std::string> NameProblems(NameRule rule, const std::string& name, bool prefix);

// Field errors ("metadata.name: Invalid value: ...") for an object's generateName and its
// name (the generated one when generateName was used), as ValidateObjectMeta reports them.
std::vector<std::string> MetadataNameErrors(const kube::Resource& r, const std::string& name,
                                            const std::string& generate_name);

// The API server's NewInvalid: 'Kind[.group] "name" is invalid: error; error', as kInvalidArgument.
Status InvalidObjectError(const kube::Resource& r, const std::string& name,
                          const std::vector<std::string>& field_errors);

// An Invalid message taken apart: what is invalid ('ConfigMap "x"', empty when the message
// has no such subject) and its field errors ("metadata.name: Invalid value: ...").
struct InvalidMessage {
  std::string subject;
  std::vector<std::string> field_errors;
};
// Splits at " is invalid: " and "; " only outside quoted values.
InvalidMessage ParseInvalidMessage(const std::string& message);

// Go's strconv.Quote (fmt's %q): printable UTF-8 kept, '"' and '\' escaped, control and
// invisible characters as \n, \x1f, \u00a0, bytes that are not UTF-8 as \xff.
std::string GoQuote(const std::string& s);
// The inverse of GoQuote; nullopt for text it cannot have written.
std::optional<std::string> GoUnquote(const std::string& quoted);

// A name for generateName `base`: base (cut to 58 bytes) and 5 random characters from the
// API server's alphabet, so the result fits a 63-character label.
std::string GenerateNameFrom(const std::string& base);

}  // namespace kcau::sim
