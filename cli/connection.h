// The channel to the controller: TLS (mutual when a client certificate is given) or, when
// asked for, plaintext; and the bearer token sent with every call.
#ifndef VIGIL_CLI_CONNECTION_H_
#define VIGIL_CLI_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/options.h"
#include "grpcpp/channel.h"

namespace vigil::cli {

// Reads a bearer token from `path`: the file's text without surrounding whitespace. An
// empty file, or one that is not a single line, is an error.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// Creates the channel `options` describe (it connects on first use). Errors name the flag
// whose file could not be read.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_CONNECTION_H_
