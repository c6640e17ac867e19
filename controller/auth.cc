#include "controller/auth.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/read_file.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace vigil::controller {
namespace {

// Access files are small; this bounds a mistaken path (a log, a device).
constexpr size_t kMaxAccessFileBytes = 1 << 20;

uint32_t Bit(Role role) { return 1u << static_cast<int>(role); }

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kNone: return "none";
    case Role::kSensor: return "sensor";
    case Role::kReader: return "reader";
    case Role::kAdmin: return "admin";
  }
  return "none";
}

absl::StatusOr<Authorizer> Authorizer::FromFile(const std::string& path, bool tls) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxAccessFileBytes));
  return FromText(text, path, tls);
}

absl::StatusOr<Authorizer> Authorizer::FromText(absl::string_view text, const std::string& name,
                                                bool tls) {
  Authorizer auth;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    auto error = [&](absl::string_view reason) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", line_no, ": ", reason));
    };
    if (words.size() != 3) return error("expected: ROLE cert|token VALUE");
    Grant grant;
    if (words[0] == "admin") {
      grant.role = Role::kAdmin;
    } else if (words[0] == "reader") {
      grant.role = Role::kReader;
    } else if (words[0] == "sensor") {
      grant.role = Role::kSensor;
    } else {
      return error(absl::StrCat("unknown role '", words[0], "' (admin, reader or sensor)"));
    }
    if (words[1] == "cert") {
      grant.token = false;
      grant.value = std::string(words[2]);
    } else if (words[1] == "token") {
      grant.token = true;
      absl::string_view hash = words[2];
      if (!absl::ConsumePrefix(&hash, "sha256:") || hash.size() != 64 ||
          !std::all_of(hash.begin(), hash.end(), [](char c) { return absl::ascii_isxdigit(c); })) {
        return error("a token is given as sha256:<64 hex digits> of its text");
      }
      grant.value = absl::AsciiStrToLower(hash);
    } else {
      return error(absl::StrCat("unknown kind '", words[1], "' (cert or token)"));
    }
    auth.grants_.push_back(std::move(grant));
  }
  (void)tls;
  return auth;
}

Authorizer Authorizer::Default(bool tls) {
  Authorizer auth;
  if (tls) {
    auth.any_cert_is_sensor_ = true;
  } else {
    auth.allow_all_admin_ = true;
  }
  return auth;
}

bool Principal::Holds(Role needed) const {
  if (needed == Role::kReader) return (roles & (Bit(Role::kReader) | Bit(Role::kAdmin))) != 0;
  return (roles & Bit(needed)) != 0;
}

uint32_t Authorizer::RolesOf(bool token, absl::string_view value) const {
  uint32_t roles = 0;
  if (!token && any_cert_is_sensor_) roles |= Bit(Role::kSensor);
  for (const Grant& g : grants_) {
    if (g.token == token && (g.value == value || (!token && g.value == "*"))) {
      roles |= Bit(g.role);
    }
  }
  return roles;
}

Principal Authorizer::Authenticate(const grpc::ServerContextBase& context) const {
  Principal who;
  auto add = [&who](const std::string& identity, uint32_t roles) {
    if (roles == 0) return;
    if (who.identity.empty() || roles > who.roles) who.identity = identity;
    who.roles |= roles;
  };
  if (allow_all_admin_) add("anonymous", Bit(Role::kAdmin) | Bit(Role::kSensor));
  // Certificate identities (present only when the handshake verified a client cert).
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const char* property : {"x509_common_name", "x509_subject_alternative_name"}) {
      for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
        const std::string identity(value.data(), value.size());
        add("cert:" + identity, RolesOf(false, identity));
      }
    }
  }
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    absl::string_view header(it->second.data(), it->second.size());
    if (absl::ConsumePrefix(&header, "Bearer ") && !header.empty() && header.size() < 4096) {
      const std::string hash = Sha256Hex(header);
      add("token:" + hash.substr(0, 12), RolesOf(true, hash));
    }
  }
  return who;
}

grpc::Status Authorizer::Require(const grpc::ServerContextBase& context, Role needed,
                                 absl::string_view method) const {
  const Principal who = Authenticate(context);
  if (who.Holds(needed)) return grpc::Status::OK;
  if (who.roles == 0) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat(method, " needs the ", RoleName(needed),
                                     " role: present a client certificate or bearer token "
                                     "that the controller's access file grants it"));
  }
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat(method, " needs the ", RoleName(needed), " role, which ",
                                   who.identity, " does not hold"));
}

}  // namespace vigil::controller
