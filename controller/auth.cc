#include "controller/auth.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/clock.h"
#include "common/read_file.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace vigil::controller {
namespace {

// Access files are small; this bounds a mistaken path (a log, a device).
constexpr size_t kMaxAccessFileBytes = 1 << 20;

// The certificate-name prefix of per-node sensor certificates ("node:<node name>").
constexpr char kNodePrefix[] = "node:";

// Bearer tokens longer than this are ignored (service-account tokens are a few KiB).
constexpr size_t kMaxBearerBytes = 16 * 1024;

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
    if (words.size() != 3) return error("expected: ROLE cert|token|serviceaccount VALUE");
    Grant grant;
    if (words[0] == "admin") {
      grant.role = Role::kAdmin;
    } else if (words[0] == "reader") {
      grant.role = Role::kReader;
    } else if (words[0] == "sensor") {
      grant.role = Role::kSensor;
    } else if (words[0] == "sensor-any") {
      grant.role = Role::kSensor;
      grant.any_sensor = true;
    } else {
      return error(
          absl::StrCat("unknown role '", words[0], "' (admin, reader, sensor or sensor-any)"));
    }
    const absl::string_view value = words[2];
    if (words[1] == "cert") {
      grant.kind = Kind::kCert;
      if (grant.role == Role::kSensor && !grant.any_sensor) {
        absl::string_view node = value;
        if (!absl::ConsumePrefix(&node, kNodePrefix) || node.empty() ||
            (node != "*" && absl::StrContains(node, '*'))) {
          return error(absl::StrCat(
              "'sensor cert ", value,
              "': a sensor certificate must name its node (grant node:* for certificates "
              "named node:<node>, or node:<node> for one); a certificate shared by many "
              "sensors can speak for all of them and needs 'sensor-any cert ",
              value, "', a downgrade (docs/certificates.md)"));
        }
      }
      grant.value = std::string(value);
    } else if (words[1] == "token") {
      grant.kind = Kind::kToken;
      absl::string_view hash = value;
      if (!absl::ConsumePrefix(&hash, "sha256:") || hash.size() != 64 ||
          !std::all_of(hash.begin(), hash.end(), [](char c) { return absl::ascii_isxdigit(c); })) {
        return error("a token is given as sha256:<64 hex digits> of its text");
      }
      if (grant.role == Role::kSensor && !grant.any_sensor) {
        return error(
            "an opaque token names no node, so it cannot prove a sensor's identity: use "
            "service-account tokens ('sensor serviceaccount NAMESPACE/NAME') or, as a "
            "downgrade, 'sensor-any token ...' (docs/certificates.md)");
      }
      grant.value = absl::AsciiStrToLower(hash);
    } else if (words[1] == "serviceaccount") {
      grant.kind = Kind::kServiceAccount;
      auth.has_service_account_grants_ = true;
      if (grant.role != Role::kSensor || grant.any_sensor) {
        return error("a service account is granted the sensor role only");
      }
      std::vector<absl::string_view> parts = absl::StrSplit(value, '/');
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
        return error("a service account is given as NAMESPACE/NAME");
      }
      grant.value = std::string(value);
    } else {
      return error(absl::StrCat("unknown kind '", words[1], "' (cert, token or serviceaccount)"));
    }
    auth.grants_.push_back(std::move(grant));
  }
  (void)tls;
  return auth;
}

Authorizer Authorizer::Default(bool tls) {
  Authorizer auth;
  if (tls) {
    auth.grants_.push_back({Role::kSensor, Kind::kCert, absl::StrCat(kNodePrefix, "*")});
  } else {
    auth.allow_all_admin_ = true;
  }
  return auth;
}

bool Principal::Holds(Role needed) const {
  if (needed == Role::kReader) return (roles & (Bit(Role::kReader) | Bit(Role::kAdmin))) != 0;
  return (roles & Bit(needed)) != 0;
}

namespace {

SensorBinding NodeBinding(std::string node, std::string credential) {
  SensorBinding binding;
  binding.node = std::move(node);
  binding.credential = std::move(credential);
  return binding;
}

SensorBinding AnyBinding(std::string credential) {
  SensorBinding binding;
  binding.any = true;
  binding.credential = std::move(credential);
  return binding;
}

// Adds an identity's roles (and the sensor it may speak for) to `who`.
void Add(Principal* who, std::vector<SensorBinding>* bindings, const std::string& identity,
         uint32_t roles, std::optional<SensorBinding> binding) {
  if (roles == 0) return;
  if (who->identity.empty() || roles > who->roles) who->identity = identity;
  who->roles |= roles;
  if (binding) bindings->push_back(*std::move(binding));
}

}  // namespace

void Authorizer::AddCertificate(const std::string& name, Principal* who,
                                std::vector<SensorBinding>* bindings) const {
  uint32_t roles = 0;
  std::optional<SensorBinding> binding;
  for (const Grant& g : grants_) {
    if (g.kind != Kind::kCert) continue;
    if (g.role == Role::kSensor && !g.any_sensor) {
      absl::string_view node = name;
      if (!absl::ConsumePrefix(&node, kNodePrefix) || node.empty()) continue;
      if (g.value != name && g.value != absl::StrCat(kNodePrefix, "*")) continue;
      roles |= Bit(Role::kSensor);
      binding = NodeBinding(std::string(node), "cert:" + name);
    } else if (g.value == name || g.value == "*") {
      roles |= Bit(g.role);
      if (g.any_sensor) binding = AnyBinding("cert:" + name);
    }
  }
  Add(who, bindings, "cert:" + name, roles, std::move(binding));
}

void Authorizer::AddToken(absl::string_view token, Principal* who,
                          std::vector<SensorBinding>* bindings) const {
  if (verifier_ != nullptr && LooksLikeJwt(token) && HasServiceAccountGrants()) {
    AddServiceAccountToken(token, who, bindings);
  }
  const std::string hash = Sha256Hex(token);
  const std::string identity = "token:" + hash.substr(0, 12);
  uint32_t roles = 0;
  std::optional<SensorBinding> binding;
  for (const Grant& g : grants_) {
    if (g.kind != Kind::kToken || g.value != hash) continue;
    roles |= Bit(g.role);
    if (g.any_sensor) binding = AnyBinding(identity);
  }
  Add(who, bindings, identity, roles, std::move(binding));
}

void Authorizer::AddServiceAccountToken(absl::string_view token, Principal* who,
                                        std::vector<SensorBinding>* bindings) const {
  absl::StatusOr<ServiceAccountClaims> claims = verifier_->Verify(token, WallNowNs() / 1000000000);
  if (!claims.ok()) {
    who->refusal = absl::StrCat("service-account token refused: ", claims.status().message());
    return;
  }
  const std::string account = absl::StrCat(claims->namespace_name, "/", claims->service_account);
  const bool granted = std::any_of(grants_.begin(), grants_.end(), [&](const Grant& g) {
    return g.kind == Kind::kServiceAccount && g.value == account;
  });
  if (!granted) {
    who->refusal = absl::StrCat("service account ", account, " is not granted the sensor role");
    return;
  }
  if (claims->node_name.empty()) {
    who->refusal = absl::StrCat("the token of service account ", account,
                                " names no node (Kubernetes 1.30 or later puts the node of a "
                                "pod's token in it)");
    return;
  }
  SensorBinding binding = NodeBinding(
      claims->node_name, absl::StrCat("serviceaccount:", account, " pod ", claims->pod_name));
  binding.expires_s = claims->expires;
  binding.pod_uid = claims->pod_uid;
  binding.issued_at_s = claims->issued_at;
  Add(who, bindings, "serviceaccount:" + account, Bit(Role::kSensor), std::move(binding));
}

Principal Authorizer::Authenticate(const grpc::ServerContextBase& context) const {
  Principal who;
  std::vector<SensorBinding> bindings;
  if (allow_all_admin_) {
    Add(&who, &bindings, "anonymous", Bit(Role::kAdmin) | Bit(Role::kSensor),
        AnyBinding("anonymous (plaintext controller)"));
  }
  // Certificate identities (present only when the handshake verified a client cert).
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const char* property : {"x509_common_name", "x509_subject_alternative_name"}) {
      for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
        AddCertificate(std::string(value.data(), value.size()), &who, &bindings);
      }
    }
  }
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    absl::string_view header(it->second.data(), it->second.size());
    if (absl::ConsumePrefix(&header, "Bearer ") && !header.empty() &&
        header.size() <= kMaxBearerBytes) {
      AddToken(header, &who, &bindings);
    }
  }
  // The sensor binding: a sensor-any grant speaks for all; otherwise exactly one node.
  for (const SensorBinding& b : bindings) {
    if (b.any) {
      who.sensor = b;
      return who;
    }
  }
  for (const SensorBinding& b : bindings) {
    if (who.sensor.node.empty()) {
      who.sensor = b;
    } else if (b.node != who.sensor.node) {
      who.roles &= ~Bit(Role::kSensor);
      who.refusal = absl::StrCat("the credentials name two nodes (", who.sensor.credential, " and ",
                                 b.credential, ")");
      who.sensor = SensorBinding();
      return who;
    }
  }
  return who;
}

grpc::Status Authorizer::Require(const grpc::ServerContextBase& context, Role needed,
                                 absl::string_view method, Principal* who_out) const {
  Principal who = Authenticate(context);
  grpc::Status status;
  if (who.Holds(needed)) {
    status = grpc::Status::OK;
  } else if (who.roles == 0) {
    status = grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        who.refusal.empty()
            ? absl::StrCat(method, " needs the ", RoleName(needed),
                           " role: present a client certificate or bearer token that the "
                           "controller's access file grants it")
            : absl::StrCat(method, " needs the ", RoleName(needed), " role: ", who.refusal));
  } else {
    status = grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat(method, " needs the ", RoleName(needed), " role, which ", who.identity,
                     " does not hold", who.refusal.empty() ? "" : ": ", who.refusal));
  }
  if (who_out != nullptr) *who_out = std::move(who);
  return status;
}

}  // namespace vigil::controller
