#include "common/metrics_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "prometheus/text_serializer.h"

namespace vigil {
namespace {

constexpr size_t kMaxRequestBytes = 8 * 1024;
constexpr int kReadTimeoutMs = 2000;
constexpr int kWriteTimeoutMs = 5000;

std::string Response(absl::string_view status, absl::string_view content_type,
                     absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(),
                      "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n", body);
}

// Splits "host:port", "[v6]:port" or ":port".
absl::Status SplitAddress(const std::string& address, std::string* host, std::string* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", address, "': expected HOST:PORT (e.g. 0.0.0.0:9470)"));
  }
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  int number = 0;
  if (!absl::SimpleAtoi(*port, &number) || number < 0 || number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", address, "': bad port '", *port, "'"));
  }
  return absl::OkStatus();
}

// Writes all of `data`, waiting at most kWriteTimeoutMs for the peer to read.
void WriteAll(int fd, absl::string_view data) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kWriteTimeoutMs);
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
  }
}

// Ends our side, then reads (and discards, boundedly) what the client still sends, so that
// closing with unread input does not reset the connection before the client has read
// the response.
void LingeringClose(int fd) {
  shutdown(fd, SHUT_WR);
  char buf[4096];
  size_t drained = 0;
  while (drained < 64 * 1024) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) return;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    drained += static_cast<size_t>(n);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry,
    ReadinessFn readiness, CollectHook before_collect) {
  std::string host, port;
  if (absl::Status s = SplitAddress(address, &host, &port); !s.ok()) return s;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", address, "': ", gai_strerror(rc)));
  }
  auto server = std::unique_ptr<MetricsServer>(new MetricsServer());
  std::string error = "no usable address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      error = strerror(errno);
      continue;
    }
    const int one = 1;
    if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd.get(), 64) != 0) {
      error = strerror(errno);
      continue;
    }
    server->listen_fd_ = std::move(fd);
    break;
  }
  freeaddrinfo(found);
  if (server->listen_fd_.get() < 0) {
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", address, ": ", error));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  if (getsockname(server->listen_fd_.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    return absl::InternalError(absl::StrCat("metrics: getsockname: ", strerror(errno)));
  }
  server->port_ = bound.ss_family == AF_INET6
                      ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  server->stop_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (server->stop_fd_.get() < 0) {
    return absl::InternalError(absl::StrCat("metrics: eventfd: ", strerror(errno)));
  }
  server->registry_ = std::move(registry);
  server->readiness_ = std::move(readiness);
  server->before_collect_ = std::move(before_collect);
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

MetricsServer::~MetricsServer() { Stop(); }

void MetricsServer::Stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  (void)!write(stop_fd_.get(), &one, sizeof(one));
  thread_.join();
}

void MetricsServer::Serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    const UniqueFd fd(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (fd.get() < 0) continue;
    HandleConnection(fd.get());
  }
}

void MetricsServer::HandleConnection(int fd) {
  std::string request;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kReadTimeoutMs);
  char buf[2048];
  while (request.find("\r\n\r\n") == std::string::npos) {
    if (request.size() > kMaxRequestBytes) {
      WriteAll(
          fd, Response("431 Request Header Fields Too Large", "text/plain", "request too large\n"));
      LingeringClose(fd);
      return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;  // too slow: drop the connection
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return;
    request.append(buf, static_cast<size_t>(n));
  }
  WriteAll(fd, Respond(request));
  LingeringClose(fd);
}

std::string MetricsServer::Respond(const std::string& request) {
  const size_t line_end = request.find("\r\n");
  absl::string_view line(request.data(), line_end == std::string::npos ? 0 : line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == absl::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos || line.substr(sp2 + 1).substr(0, 5) != "HTTP/") {
    return Response("400 Bad Request", "text/plain", "malformed request line\n");
  }
  const absl::string_view method = line.substr(0, sp1);
  absl::string_view path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (const size_t q = path.find('?'); q != absl::string_view::npos) path = path.substr(0, q);
  if (method != "GET") {
    return Response("405 Method Not Allowed", "text/plain", "only GET is served\n");
  }
  if (path == "/metrics") {
    if (before_collect_) before_collect_();
    const prometheus::TextSerializer serializer;
    return Response("200 OK", "text/plain; version=0.0.4; charset=utf-8",
                    serializer.Serialize(registry_->Collect()));
  }
  if (path == "/healthz") return Response("200 OK", "text/plain", "ok\n");
  if (path == "/readyz") {
    const std::string why = readiness_ ? readiness_() : std::string();
    if (why.empty()) return Response("200 OK", "text/plain", "ready\n");
    return Response("503 Service Unavailable", "text/plain",
                    absl::StrCat("not ready: ", why, "\n"));
  }
  return Response("404 Not Found", "text/plain", "not found: try /metrics, /healthz, /readyz\n");
}

}  // namespace vigil
