#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vigil::testing {

absl::StatusOr<std::string> HttpRaw(int port, const std::string& raw, int timeout_ms) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string error = strerror(errno);
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect to port ", port, ": ", error));
  }
  size_t sent = 0;
  while (sent < raw.size()) {
    const ssize_t n = send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) {
      const std::string error = strerror(errno);
      close(fd);
      return absl::DeadlineExceededError(absl::StrCat("reading from port ", port, ": ", error));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path, int timeout_ms) {
  absl::StatusOr<std::string> raw = HttpRaw(
      port, absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
      timeout_ms);
  if (!raw.ok()) return raw.status();
  HttpResponse response;
  const size_t sp = raw->find(' ');
  if (raw->rfind("HTTP/1.", 0) != 0 || sp == std::string::npos ||
      !absl::SimpleAtoi(raw->substr(sp + 1, 3), &response.status)) {
    return absl::DataLossError(absl::StrCat("not an HTTP response: ", raw->substr(0, 80)));
  }
  const size_t body = raw->find("\r\n\r\n");
  if (body != std::string::npos) response.body = raw->substr(body + 4);
  // Chunked bodies (the Prometheus server uses them for large answers) are joined.
  if (raw->find("Transfer-Encoding: chunked") != std::string::npos &&
      raw->find("Transfer-Encoding: chunked") < body) {
    std::string joined;
    size_t pos = 0;
    const std::string& b = response.body;
    while (pos < b.size()) {
      const size_t eol = b.find("\r\n", pos);
      if (eol == std::string::npos) break;
      size_t len = 0;
      if (!absl::SimpleHexAtoi(b.substr(pos, eol - pos), &len) || len == 0) break;
      joined += b.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
    response.body = joined;
  }
  return response;
}

}  // namespace vigil::testing
