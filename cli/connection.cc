#include "cli/connection.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/read_file.h"
#include "common/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace vigil::cli {
namespace {

// Certificates, keys and tokens are small; anything larger is not one.
constexpr size_t kMaxFileBytes = 1 << 20;
// Query pages of large alerts exceed gRPC's default 4 MiB.
constexpr int kMaxReceiveBytes = 64 << 20;

// The file `flag` names, whole; errors start with the flag.
absl::StatusOr<std::string> ReadSmallFile(absl::string_view flag, const std::string& path) {
  absl::StatusOr<std::string> text = vigil::ReadSmallFile(path, kMaxFileBytes);
  if (!text.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(flag, ": ", text.status().message()));
  }
  return text;
}

}  // namespace

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadSmallFile("--token-file", path));
  absl::StripAsciiWhitespace(&text);
  if (text.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("--token-file: ", path, " is empty"));
  }
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      return absl::FailedPreconditionError(
          absl::StrCat("--token-file: ", path, " holds more than one line"));
    }
  }
  return text;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.insecure) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca.empty()) {
      VIGIL_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadSmallFile("--ca", options.ca));
    }
    if (!options.cert.empty()) {
      VIGIL_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadSmallFile("--cert", options.cert));
      VIGIL_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadSmallFile("--key", options.key));
    }
    credentials = grpc::SslCredentials(ssl);
    if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
  }
  return grpc::CreateCustomChannel(options.controller, credentials, args);
}

}  // namespace vigil::cli
