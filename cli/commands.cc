#include "cli/commands.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/bundle_files.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "common/read_file.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"

namespace vigil::cli {
namespace {

namespace v1 = ::vigil::v1;

// A rule set larger than this is refused by the controller anyway; reading stops here.
constexpr size_t kMaxRuleFileBytes = 16 << 20;
// The controller's largest Query page.
constexpr uint32_t kMaxPageSize = 1000;

// Sets up one call: the bearer token, and a deadline for unary calls.
void Prepare(grpc::ClientContext* context, const CliOptions& options, const CommandEnv& env,
             bool unary) {
  if (!env.token.empty()) context->AddMetadata("authorization", "Bearer " + env.token);
  if (unary) {
    context->set_deadline(std::chrono::system_clock::now() +
                          absl::ToChronoNanoseconds(options.timeout));
  }
}

// Prints a failed call and returns kExitFailed.
int CallFailed(const CommandEnv& env, absl::string_view method, const grpc::Status& status,
               absl::string_view message) {
  *env.err << "vigilctl: " << method << ": "
           << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) << ": "
           << message << "\n";
  return kExitFailed;
}

int CallFailed(const CommandEnv& env, absl::string_view method, const grpc::Status& status) {
  return CallFailed(env, method, status, status.error_message());
}

// Runs one unary call with the token, deadline and interrupt in place.
template <typename Call>
grpc::Status Unary(const CliOptions& options, const CommandEnv& env, Call call) {
  grpc::ClientContext context;
  Prepare(&context, options, env, /*unary=*/true);
  if (env.interrupt != nullptr) env.interrupt->Watch(&context);
  grpc::Status status = call(&context);
  if (env.interrupt != nullptr) env.interrupt->Unwatch();
  return status;
}

void PrintJson(const CommandEnv& env, const google::protobuf::Message& message) {
  *env.out << ToJson(message, /*multiline=*/true) << "\n";
}

// Prints a local failure of `command` ("vigilctl: modules sign: <message>") and returns
// kExitFailed.
int LocalFailed(const CommandEnv& env, absl::string_view command, const absl::Status& status) {
  *env.err << "vigilctl: " << command << ": " << status.message() << "\n";
  return kExitFailed;
}

// Prints the result of an offline command: `text` as a table would be, or the string
// fields as one JSON object.
void PrintLocal(const CliOptions& options, const CommandEnv& env, absl::string_view text,
                const std::vector<std::pair<std::string, std::string>>& fields) {
  if (options.output != OutputFormat::kJson) {
    *env.out << text;
    return;
  }
  google::protobuf::Struct json;
  for (const auto& [name, value] : fields) {
    (*json.mutable_fields())[name].set_string_value(value);
  }
  PrintJson(env, json);
}

v1::AlertFilter FilterOf(const CliOptions& options) {
  v1::AlertFilter filter;
  filter.set_min_priority(options.min_priority);
  for (const std::string& r : options.rules) filter.add_rules(r);
  for (const std::string& t : options.tags) filter.add_tags(t);
  for (const std::string& n : options.nodes) filter.add_nodes(n);
  return filter;
}

int Sensors(const CliOptions& options, const CommandEnv& env, bool modules) {
  v1::ListSensorsResponse response;
  grpc::Status status = Unary(options, env, [&](grpc::ClientContext* c) {
    return env.fleet->ListSensors(c, v1::ListSensorsRequest(), &response);
  });
  if (!status.ok()) return CallFailed(env, "FleetService.ListSensors", status);
  if (options.output == OutputFormat::kJson) {
    PrintJson(env, response);
  } else if (response.sensors().empty()) {
    *env.err << "no sensors\n";
  } else {
    *env.out << (modules ? ModulesTable(response) : SensorsTable(response, env.now()));
  }
  return kExitOk;
}

int AlertsTail(const CliOptions& options, const CommandEnv& env) {
  v1::SubscribeRequest request;
  *request.mutable_filter() = FilterOf(options);
  if (options.cursor.has_value()) request.set_cursor(*options.cursor);

  const bool json = options.output == OutputFormat::kJson;
  if (!json) *env.out << AlertHeaderLine() << std::flush;
  grpc::ClientContext context;
  Prepare(&context, options, env, /*unary=*/false);
  if (env.interrupt != nullptr) env.interrupt->Watch(&context);
  std::unique_ptr<grpc::ClientReaderInterface<v1::AlertEnvelope>> reader =
      env.alerts->Subscribe(&context, request);
  std::string last_cursor = options.cursor.value_or("");
  v1::AlertEnvelope envelope;
  while (reader->Read(&envelope)) {
    last_cursor = envelope.cursor();
    if (json) {
      *env.out << ToJson(envelope, /*multiline=*/false) << "\n";
    } else {
      *env.out << AlertLine(envelope.alert());
    }
    env.out->flush();
  }
  const grpc::Status status = reader->Finish();
  if (env.interrupt != nullptr) {
    env.interrupt->Unwatch();
    if (env.interrupt->triggered()) return kExitOk;
  }
  const std::string resume =
      last_cursor.empty() ? "" : absl::StrCat(" (resume with --since ", last_cursor, ")");
  if (status.ok()) {
    return CallFailed(env, "AlertService.Subscribe", status,
                      absl::StrCat("the controller ended the stream", resume));
  }
  return CallFailed(env, "AlertService.Subscribe", status,
                    absl::StrCat(status.error_message(), resume));
}

int AlertsQuery(const CliOptions& options, const CommandEnv& env) {
  v1::QueryRequest request;
  *request.mutable_filter() = FilterOf(options);
  if (options.from.has_value()) {
    request.set_since_unix_ns(absl::ToUnixNanos(*options.from));
  } else if (options.since_ago.has_value()) {
    request.set_since_unix_ns(absl::ToUnixNanos(env.now() - *options.since_ago));
  }

  const bool json = options.output == OutputFormat::kJson;
  Table table(AlertHeader());
  uint32_t printed = 0;
  int exit_code = kExitOk;
  do {
    request.set_page_size(std::min(options.limit - printed, kMaxPageSize));
    v1::QueryResponse response;
    grpc::Status status = Unary(options, env, [&](grpc::ClientContext* c) {
      return env.alerts->Query(c, request, &response);
    });
    if (!status.ok()) {
      exit_code = CallFailed(env, "AlertService.Query", status);
      break;
    }
    for (const v1::AlertEnvelope& envelope : response.alerts()) {
      if (printed == options.limit) break;
      ++printed;
      if (json) {
        *env.out << ToJson(envelope, /*multiline=*/false) << "\n";
      } else {
        table.AddRow(AlertCells(envelope.alert()));
      }
    }
    // A page without alerts but with a token would loop forever on a confused server.
    if (response.alerts().empty()) break;
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty() && printed < options.limit);

  if (!json) {
    if (table.rows() > 0) {
      *env.out << table.Render();
    } else if (exit_code == kExitOk) {
      *env.err << "no alerts\n";
    }
  }
  return exit_code;
}

int RulesPush(const CliOptions& options, const CommandEnv& env) {
  absl::StatusOr<std::vector<LocalRuleFile>> files = ReadRuleFiles(options.paths);
  if (!files.ok()) {
    *env.err << "vigilctl: rules push: " << files.status().message() << "\n";
    return kExitFailed;
  }
  v1::PutRuleSetRequest request;
  for (const LocalRuleFile& f : *files) *request.add_files() = f.file;
  v1::PutRuleSetResponse response;
  grpc::Status status = Unary(options, env, [&](grpc::ClientContext* c) {
    return env.fleet->PutRuleSet(c, request, &response);
  });
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return CallFailed(env, "FleetService.PutRuleSet", status,
                      LocalizeRuleError(status.error_message(), *files));
  }
  if (!status.ok()) return CallFailed(env, "FleetService.PutRuleSet", status);
  if (options.output == OutputFormat::kJson) {
    PrintJson(env, response);
  } else {
    *env.out << PutRuleSetText(response);
  }
  return kExitOk;
}

int Rollout(const CliOptions& options, const CommandEnv& env, const char* kind) {
  v1::GetRolloutRequest request;
  request.set_kind(kind);
  request.set_version(options.rollout_version);
  v1::Rollout response;
  grpc::Status status = Unary(options, env, [&](grpc::ClientContext* c) {
    return env.fleet->GetRollout(c, request, &response);
  });
  if (!status.ok()) return CallFailed(env, "FleetService.GetRollout", status);
  if (options.output == OutputFormat::kJson) {
    PrintJson(env, response);
  } else {
    *env.out << RolloutText(response);
  }
  return kExitOk;
}

int RulesList(const CliOptions& options, const CommandEnv& env) {
  v1::ListRuleSetsResponse response;
  grpc::Status status = Unary(options, env, [&](grpc::ClientContext* c) {
    return env.fleet->ListRuleSets(c, v1::ListRuleSetsRequest(), &response);
  });
  if (!status.ok()) return CallFailed(env, "FleetService.ListRuleSets", status);
  if (options.output == OutputFormat::kJson) {
    PrintJson(env, response);
  } else if (response.rule_sets().empty()) {
    *env.err << "no rule sets\n";
  } else {
    *env.out << RuleSetsTable(response, env.now());
  }
  return kExitOk;
}

int SetModule(const CliOptions& options, const CommandEnv& env, bool enabled) {
  v1::SetProbeModulesRequest request;
  v1::ModuleSetting* setting = request.add_modules();
  setting->set_name(options.module);
  setting->set_enabled(enabled);
  for (const std::string& node : options.nodes) request.add_nodes(node);
  v1::SetProbeModulesResponse response;
  grpc::Status status = Unary(options, env, [&](grpc::ClientContext* c) {
    return env.fleet->SetProbeModules(c, request, &response);
  });
  if (!status.ok()) return CallFailed(env, "FleetService.SetProbeModules", status);
  if (options.output == OutputFormat::kJson) {
    PrintJson(env, response);
  } else {
    *env.out << SetProbeModulesText(response);
  }
  return kExitOk;
}

int ModulesKeygen(const CliOptions& options, const CommandEnv& env) {
  absl::StatusOr<KeyPairFiles> keys = WriteKeyPair(options.out);
  if (!keys.ok()) return LocalFailed(env, "modules keygen", keys.status());
  PrintLocal(options, env,
             absl::StrCat("key id ", keys->key_id, "\nprivate key ", keys->private_path,
                          " (keep it on this machine)\npublic key ", keys->public_path,
                          " (pin it on the sensors)\n"),
             {{"key_id", keys->key_id},
              {"private_key", keys->private_path},
              {"public_key", keys->public_path}});
  return kExitOk;
}

int ModulesBuild(const CliOptions& options, const CommandEnv& env) {
  absl::StatusOr<v1::BundleManifest> manifest =
      BuildBundleFile(options.manifest, options.object, options.out);
  if (!manifest.ok()) return LocalFailed(env, "modules build", manifest.status());
  PrintLocal(
      options, env,
      absl::StrCat("built ", options.out, ": module ", manifest->name(), " ", manifest->version(),
                   ", unsigned (vigilctl modules sign --key KEY ", options.out, ")\n"),
      {{"bundle", options.out}, {"name", manifest->name()}, {"version", manifest->version()}});
  return kExitOk;
}

int ModulesSign(const CliOptions& options, const CommandEnv& env) {
  absl::StatusOr<SignedBundleFile> signed_file =
      SignBundleFile(options.sign_key, options.bundle, options.out);
  if (!signed_file.ok()) return LocalFailed(env, "modules sign", signed_file.status());
  PrintLocal(options, env,
             absl::StrCat("signed ", signed_file->path, ": module ", signed_file->name, " ",
                          signed_file->version, ", key id ", signed_file->key_id, "\nhash ",
                          signed_file->hash, "\n"),
             {{"bundle", signed_file->path},
              {"name", signed_file->name},
              {"version", signed_file->version},
              {"key_id", signed_file->key_id},
              {"hash", signed_file->hash}});
  return kExitOk;
}

int ModulesPush(const CliOptions& options, const CommandEnv& env) {
  absl::StatusOr<LocalBundle> local = ReadBundleFile(options.bundle);
  if (!local.ok()) return LocalFailed(env, "modules push", local.status());
  // The sensors refuse an unsigned bundle: refuse it here, before anything changes.
  if (local->parsed.bundle.signature().value().empty()) {
    return LocalFailed(env, "modules push",
                       absl::FailedPreconditionError(absl::StrCat(
                           options.bundle, " is not signed (vigilctl modules sign --key KEY ",
                           options.bundle, ")")));
  }
  v1::PutProbeBundleRequest put;
  put.set_bundle(local->bytes);
  v1::PutProbeBundleResponse stored;
  grpc::Status status = Unary(options, env, [&](grpc::ClientContext* c) {
    return env.fleet->PutProbeBundle(c, put, &stored);
  });
  if (!status.ok()) {
    return CallFailed(env, "FleetService.PutProbeBundle", status,
                      absl::StrCat(options.bundle, ": ", status.error_message()));
  }
  const bool json = options.output == OutputFormat::kJson;
  if (!json) *env.out << PutProbeBundleText(stored);

  v1::SetProbeModulesRequest request;
  v1::ModuleSetting* setting = request.add_modules();
  setting->set_name(stored.name());
  setting->set_enabled(true);
  setting->set_bundle(stored.hash());
  for (const std::string& node : options.nodes) request.add_nodes(node);
  v1::SetProbeModulesResponse response;
  status = Unary(options, env, [&](grpc::ClientContext* c) {
    return env.fleet->SetProbeModules(c, request, &response);
  });
  if (!status.ok()) return CallFailed(env, "FleetService.SetProbeModules", status);
  if (json) {
    *env.out << "{\n  \"bundle\": " << ToJson(stored, /*multiline=*/false)
             << ",\n  \"modules\": " << ToJson(response, /*multiline=*/false) << "\n}\n";
  } else {
    *env.out << SetProbeModulesText(response);
  }
  return kExitOk;
}

// ListProbeBundles, or the failure's exit code.
absl::StatusOr<v1::ListProbeBundlesResponse> ListBundles(const CliOptions& options,
                                                         const CommandEnv& env, int* exit_code) {
  v1::ListProbeBundlesResponse response;
  grpc::Status status = Unary(options, env, [&](grpc::ClientContext* c) {
    return env.fleet->ListProbeBundles(c, v1::ListProbeBundlesRequest(), &response);
  });
  if (!status.ok()) {
    *exit_code = CallFailed(env, "FleetService.ListProbeBundles", status);
    return absl::UnknownError("reported");
  }
  return response;
}

int ModulesRemove(const CliOptions& options, const CommandEnv& env) {
  // Only a bundle module is removed; built-in ones are disabled.
  int exit_code = kExitFailed;
  absl::StatusOr<v1::ListProbeBundlesResponse> bundles = ListBundles(options, env, &exit_code);
  if (!bundles.ok()) return exit_code;
  const bool stored =
      std::any_of(bundles->bundles().begin(), bundles->bundles().end(),
                  [&](const v1::StoredBundle& b) { return b.manifest().name() == options.module; });
  if (!stored) {
    return LocalFailed(env, "modules remove",
                       absl::NotFoundError(absl::StrCat(
                           "no stored bundle is module '", options.module,
                           "' (vigilctl modules bundles lists them; vigilctl modules disable "
                           "turns a built-in module off)")));
  }
  return SetModule(options, env, /*enabled=*/false);
}

int ModulesBundles(const CliOptions& options, const CommandEnv& env) {
  int exit_code = kExitFailed;
  absl::StatusOr<v1::ListProbeBundlesResponse> response = ListBundles(options, env, &exit_code);
  if (!response.ok()) return exit_code;
  if (options.output == OutputFormat::kJson) {
    PrintJson(env, *response);
  } else if (response->bundles().empty()) {
    *env.err << "no bundles\n";
  } else {
    *env.out << BundlesTable(*response, env.now());
  }
  return kExitOk;
}

}  // namespace

void Interrupt::Watch(grpc::ClientContext* context) {
  absl::MutexLock lock(&mu_);
  context_ = context;
  if (triggered_) context_->TryCancel();
}

void Interrupt::Unwatch() {
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
}

void Interrupt::Trigger() {
  absl::MutexLock lock(&mu_);
  triggered_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

bool Interrupt::triggered() const {
  absl::MutexLock lock(&mu_);
  return triggered_;
}

int RunCommand(const CliOptions& options, const CommandEnv& env) {
  switch (options.command) {
    case Command::kSensors: return Sensors(options, env, /*modules=*/false);
    case Command::kAlertsTail: return AlertsTail(options, env);
    case Command::kAlertsQuery: return AlertsQuery(options, env);
    case Command::kRulesPush: return RulesPush(options, env);
    case Command::kRulesStatus: return Rollout(options, env, "rules");
    case Command::kRulesList: return RulesList(options, env);
    case Command::kModulesList: return Sensors(options, env, /*modules=*/true);
    case Command::kModulesEnable: return SetModule(options, env, /*enabled=*/true);
    case Command::kModulesDisable: return SetModule(options, env, /*enabled=*/false);
    case Command::kModulesStatus: return Rollout(options, env, "modules");
    case Command::kModulesKeygen: return ModulesKeygen(options, env);
    case Command::kModulesBuild: return ModulesBuild(options, env);
    case Command::kModulesSign: return ModulesSign(options, env);
    case Command::kModulesPush: return ModulesPush(options, env);
    case Command::kModulesRemove: return ModulesRemove(options, env);
    case Command::kModulesBundles: return ModulesBundles(options, env);
    case Command::kNone: break;
  }
  *env.err << "vigilctl: no command given\n";
  return kExitUsage;
}

int RunAgainstController(const CliOptions& options, std::ostream& out, std::ostream& err,
                         Interrupt* interrupt) {
  CommandEnv env;
  env.out = &out;
  env.err = &err;
  env.interrupt = interrupt;
  // Offline commands read no token and open no channel.
  if (IsOffline(options.command)) return RunCommand(options, env);
  if (!options.connection.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(options.connection.token_file);
    if (!token.ok()) {
      err << "vigilctl: " << token.status().message() << "\n";
      return kExitFailed;
    }
    env.token = *std::move(token);
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(options.connection);
  if (!channel.ok()) {
    err << "vigilctl: " << channel.status().message() << "\n";
    return kExitFailed;
  }
  std::unique_ptr<v1::AlertService::Stub> alerts = v1::AlertService::NewStub(*channel);
  std::unique_ptr<v1::FleetService::Stub> fleet = v1::FleetService::NewStub(*channel);
  env.alerts = alerts.get();
  env.fleet = fleet.get();
  return RunCommand(options, env);
}

absl::StatusOr<std::vector<LocalRuleFile>> ReadRuleFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      const std::string ext = entry.path().extension().string();
      std::error_code type_ec;
      if (entry.is_regular_file(type_ec) && (ext == ".yaml" || ext == ".yml")) {
        found.push_back(entry.path().string());
      }
    }
    if (ec) return absl::NotFoundError(absl::StrCat("cannot list ", path, ": ", ec.message()));
    if (found.empty()) {
      return absl::NotFoundError(absl::StrCat(path, " holds no *.yaml or *.yml files"));
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }

  std::vector<LocalRuleFile> out;
  std::map<std::string, std::string> seen;  // base name -> path
  for (const std::string& path : files) {
    LocalRuleFile f;
    f.path = path;
    f.file.set_name(std::filesystem::path(path).filename().string());
    if (f.file.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, " does not name a file"));
    }
    auto [it, inserted] = seen.emplace(f.file.name(), path);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          it->second, " and ", path, " have the same name; rules files are sent by name"));
    }
    VIGIL_ASSIGN_OR_RETURN(*f.file.mutable_content(), ReadSmallFile(path, kMaxRuleFileBytes));
    out.push_back(std::move(f));
  }
  return out;
}

std::string LocalizeRuleError(absl::string_view message, const std::vector<LocalRuleFile>& files) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(message, '\n')) {
    std::string localized(line);
    for (const LocalRuleFile& f : files) {
      const std::string prefix = absl::StrCat(f.file.name(), ":");
      if (absl::StartsWith(line, prefix)) {
        localized = absl::StrCat(f.path, ":", line.substr(prefix.size()));
        break;
      }
    }
    lines.push_back(std::move(localized));
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace vigil::cli
