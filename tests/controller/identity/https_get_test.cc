// Tests of HttpsGet (controller/identity/https_get.h) against a real TLS server on
// 127.0.0.1, with a CA and server certificates generated for each test: response framing
// (Content-Length, chunked, read-to-close), status errors, size limits, certificate and
// name verification, the timeout, connection failures and request validation.
#include "controller/identity/https_get.h"

#include <poll.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"
#include "tests/support/tls_test_server.h"

namespace vigil::controller {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::vigil::testing::Always;
using ::vigil::testing::BindLoopback;
using ::vigil::testing::JsonResponse;
using ::vigil::testing::MakeTestCa;
using ::vigil::testing::MakeTestServerCert;
using ::vigil::testing::TlsCredential;
using ::vigil::testing::TlsTestServer;

class HttpsGetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = MakeTestCa("vigil-test-ca");
    ASSERT_NE(ca_.cert, nullptr);
    ca_file_ = dir_.Join("ca.crt");
    ASSERT_NO_FATAL_FAILURE(vigil::testing::WriteCertificatePem(ca_, ca_file_));
    server_ = MakeTestServerCert(ca_, "DNS:kubernetes.default.svc,IP:127.0.0.1");
    ASSERT_NE(server_.cert, nullptr);
  }

  HttpsGetRequest Request(int port, const std::string& path = "/doc") const {
    HttpsGetRequest request;
    request.host = "127.0.0.1";
    request.port = port;
    request.path = path;
    request.ca_file = ca_file_;
    request.timeout = absl::Seconds(5);
    return request;
  }

  vigil::testing::TestDir dir_{"https-get"};
  TlsCredential ca_;
  TlsCredential server_;
  std::string ca_file_;
};

TEST_F(HttpsGetTest, ReturnsContentLengthBody) {
  TlsTestServer server(server_, Always(JsonResponse("{\"a\":1}")));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port(), "/v1/doc?x=1"));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{\"a\":1}");
  std::string request = server.last_request();
  EXPECT_THAT(request, StartsWith("GET /v1/doc?x=1 HTTP/1.1\r\n"));
  EXPECT_THAT(request, HasSubstr(absl::StrCat("\r\nHost: 127.0.0.1:", server.port(), "\r\n")));
  EXPECT_THAT(request, HasSubstr("\r\nAccept: application/json\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(request, Not(HasSubstr("Authorization")));
  EXPECT_EQ(server.last_sni(), "");  // no SNI for an IP address
}

TEST_F(HttpsGetTest, DecodesChunkedBody) {
  TlsTestServer server(server_, Always("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       "5\r\nhello\r\n"
                                       "1;ext=\"x\"\r\n,\r\n"
                                       "A\r\n chunked!!\r\n"
                                       "0\r\nX-Trailer: yes\r\n\r\n"));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "hello, chunked!!");
}

TEST_F(HttpsGetTest, ReadsBodyUntilClose) {
  std::string big(100000, 'z');
  TlsTestServer server(server_, Always("HTTP/1.0 200 OK\r\nServer: old\r\n\r\n" + big));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, big);
}

TEST_F(HttpsGetTest, ReadToCloseNeedsTlsCloseNotify) {
  TlsTestServer truncated(server_, Always("HTTP/1.1 200 OK\r\n\r\n{\"cut\":"),
                          /*close_notify=*/false);
  absl::StatusOr<std::string> body = HttpsGet(Request(truncated.port()));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(body.status().message()),
              HasSubstr("reading response: connection closed by the server (no TLS close_notify)"));

  TlsTestServer framed(server_, Always(JsonResponse("{}")), /*close_notify=*/false);
  absl::StatusOr<std::string> complete = HttpsGet(Request(framed.port()));
  ASSERT_TRUE(complete.ok()) << complete.status();
  EXPECT_EQ(*complete, "{}");
}

TEST_F(HttpsGetTest, ForbiddenNamesStatusAndBody) {
  std::string json = "{\"kind\":\"Status\",\"message\":\"forbidden\"}";
  TlsTestServer server(server_, Always(absl::StrCat("HTTP/1.1 403 Forbidden\r\nContent-Length: ",
                                                    json.size(), "\r\n\r\n", json)));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port(), "/secret"));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(body.status().message(),
            absl::StrCat("https://127.0.0.1:", server.port(), "/secret: HTTP 403: ", json));
}

TEST_F(HttpsGetTest, ErrorBodyIsSanitizedAndCut) {
  std::string raw = "line one\r\nline\x01two" + std::string(500, 'x');
  TlsTestServer server(
      server_,
      Always(absl::StrCat("HTTP/1.1 500 Oops\r\nContent-Length: ", raw.size(), "\r\n\r\n", raw)));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  std::string quoted = "line one  line?two" + std::string(200 - 18, 'x');
  EXPECT_THAT(std::string(body.status().message()), EndsWith("HTTP 500: " + quoted));
}

TEST_F(HttpsGetTest, RefusesBodyOverLimit) {
  std::string body(5000, 'b');
  std::vector<std::string> responses = {
      JsonResponse(body),
      absl::StrCat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "9c4\r\n",
                   body.substr(0, 2500), "\r\n9c4\r\n", body.substr(0, 2500), "\r\n0\r\n\r\n"),
      "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body};
  for (const std::string& response : responses) {
    TlsTestServer server(server_, Always(response));
    HttpsGetRequest request = Request(server.port());
    request.max_body_bytes = 4000;
    absl::StatusOr<std::string> got = HttpsGet(request);
    ASSERT_FALSE(got.ok()) << response.substr(0, 60);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted) << got.status();
    EXPECT_THAT(std::string(got.status().message()), HasSubstr("4000"));
  }
}

TEST_F(HttpsGetTest, AcceptsBodyExactlyAtLimit) {
  TlsTestServer server(server_, Always(JsonResponse(std::string(4000, 'b'))));
  HttpsGetRequest request = Request(server.port());
  request.max_body_bytes = 4000;
  absl::StatusOr<std::string> body = HttpsGet(request);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->size(), 4000u);
}

TEST_F(HttpsGetTest, RefusesHeadersOverLimit) {
  std::string headers;
  for (int i = 0; i < 1200; ++i)
    absl::StrAppend(&headers, "X-Filler-", i, ": ", std::string(50, 'h'), "\r\n");
  TlsTestServer server(server_,
                       Always("HTTP/1.1 200 OK\r\n" + headers + "Content-Length: 2\r\n\r\n{}"));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr("headers larger than 65536 bytes"));
}

TEST_F(HttpsGetTest, RefusesMalformedResponses) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\n{}", "status line"},
      {"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\n{}", "status line"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "conflicting"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\n{}", "Content-Length"},
      {"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n{}", "bad header line"},
      {"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n{}", "folded"},
      {"HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\n\r\n{}", "bare CR or LF"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "Transfer-Encoding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n0\r\n\r\n",
       "together with Content-Length"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", "CRLF"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "closed inside the body"},
      {"", "without a response"},
  };
  for (const auto& [response, expected] : cases) {
    TlsTestServer server(server_, Always(response));
    absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
    ASSERT_FALSE(body.ok()) << response;
    EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable) << body.status();
    EXPECT_THAT(std::string(body.status().message()), HasSubstr(expected)) << response;
  }
}

TEST_F(HttpsGetTest, SkipsInterimResponses) {
  TlsTestServer server(server_, Always("HTTP/1.1 100 Continue\r\n\r\n" + JsonResponse("[]")));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "[]");
}

TEST_F(HttpsGetTest, RefusesCertificateFromAnotherCa) {
  TlsCredential other_ca = MakeTestCa("other-ca");
  ASSERT_NE(other_ca.cert, nullptr);
  TlsCredential stranger = MakeTestServerCert(other_ca, "DNS:kubernetes.default.svc,IP:127.0.0.1");
  ASSERT_NE(stranger.cert, nullptr);
  TlsTestServer server(stranger, Always(JsonResponse("{}")));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(body.status().message(),
            absl::StrCat("https://127.0.0.1:", server.port(),
                         "/doc: TLS handshake: certificate verify failed (unable to get local "
                         "issuer certificate)"));
}

TEST_F(HttpsGetTest, VerifiesServerName) {
  TlsCredential named = MakeTestServerCert(ca_, "DNS:kubernetes.default.svc");
  ASSERT_NE(named.cert, nullptr);
  TlsTestServer server(named, Always(JsonResponse("{}")));

  absl::StatusOr<std::string> by_ip = HttpsGet(Request(server.port()));
  ASSERT_FALSE(by_ip.ok());
  EXPECT_THAT(std::string(by_ip.status().message()),
              HasSubstr("certificate verify failed (IP address mismatch)"));

  HttpsGetRequest wrong = Request(server.port());
  wrong.server_name = "kubernetes.example";
  absl::StatusOr<std::string> wrong_name = HttpsGet(wrong);
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_THAT(std::string(wrong_name.status().message()),
              HasSubstr("certificate verify failed (hostname mismatch)"));

  HttpsGetRequest right = Request(server.port());
  right.server_name = "kubernetes.default.svc";
  absl::StatusOr<std::string> body = HttpsGet(right);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{}");
  EXPECT_EQ(server.last_sni(), "kubernetes.default.svc");
}

TEST_F(HttpsGetTest, ResolvesHostNames) {
  TlsTestServer server(server_, Always(JsonResponse("{\"named\":true}")));
  HttpsGetRequest request = Request(server.port());
  request.host = "localhost";  // may resolve to ::1 first, which refuses: the next is tried
  request.server_name = "kubernetes.default.svc";
  absl::StatusOr<std::string> body = HttpsGet(request);
  if (absl::IsUnavailable(body.status()) &&
      absl::StrContains(body.status().message(), "resolve:")) {
    GTEST_SKIP() << "localhost does not resolve here: " << body.status();
  }
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{\"named\":true}");
  EXPECT_THAT(server.last_request(),
              HasSubstr(absl::StrCat("\r\nHost: localhost:", server.port(), "\r\n")));
}

TEST_F(HttpsGetTest, AcceptsIpSubjectAltName) {
  TlsCredential by_ip = MakeTestServerCert(ca_, "IP:127.0.0.1");
  ASSERT_NE(by_ip.cert, nullptr);
  TlsTestServer server(by_ip, Always(JsonResponse("{\"ip\":true}")));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{\"ip\":true}");
}

TEST_F(HttpsGetTest, TimesOutWhenServerNeverAnswers) {
  int port = 0;
  UniqueFd silent = BindLoopback(/*listening=*/true, &port);  // never accepted
  ASSERT_TRUE(silent.valid());
  HttpsGetRequest request = Request(port);
  request.timeout = absl::Seconds(1);
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> body = HttpsGet(request);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr("TLS handshake: timed out after 1s"));
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(4));
}

TEST_F(HttpsGetTest, ReportsConnectionRefused) {
  int port = 0;
  UniqueFd closed = BindLoopback(/*listening=*/false, &port);  // bound, so nobody else listens
  ASSERT_TRUE(closed.valid());
  absl::StatusOr<std::string> body = HttpsGet(Request(port, "/x"));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(body.status().message(),
            absl::StrCat("https://127.0.0.1:", port, "/x: connect: Connection refused"));
}

TEST_F(HttpsGetTest, SendsBearerToken) {
  TlsTestServer server(server_, [](const std::string& request) {
    return request.find("\r\nAuthorization: Bearer tok.en-123\r\n") != std::string::npos
               ? JsonResponse("{\"authorized\":true}")
               : std::string("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
  });
  HttpsGetRequest request = Request(server.port());
  request.bearer_token = "tok.en-123";
  absl::StatusOr<std::string> body = HttpsGet(request);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{\"authorized\":true}");

  request.bearer_token = "other";
  absl::StatusOr<std::string> refused = HttpsGet(request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("HTTP 401 Unauthorized"));
}

TEST_F(HttpsGetTest, RefusesLineBreaksBeforeConnecting) {
  int port = 0;
  UniqueFd listener = BindLoopback(/*listening=*/true, &port);
  ASSERT_TRUE(listener.valid());
  std::vector<HttpsGetRequest> requests(3, Request(port));
  requests[0].bearer_token = "secret\r\nX-Injected: 1";
  requests[1].path = "/doc HTTP/1.1\r\nX-Injected: 1\r\n";
  requests[2].server_name = "kubernetes.default.svc\n";
  for (const HttpsGetRequest& request : requests) {
    absl::StatusOr<std::string> body = HttpsGet(request);
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument) << body.status();
    EXPECT_THAT(std::string(body.status().message()), Not(HasSubstr("secret")));
  }
  pollfd entry{listener.get(), POLLIN, 0};
  EXPECT_EQ(poll(&entry, 1, 100), 0) << "a connection was made";
}

TEST_F(HttpsGetTest, RefusesInvalidRequests) {
  HttpsGetRequest no_slash = Request(443, "doc");
  HttpsGetRequest no_ca = Request(443);
  no_ca.ca_file.clear();
  HttpsGetRequest bad_port = Request(70000);
  HttpsGetRequest bad_host = Request(443);
  bad_host.host = "evil.example/path";
  for (const HttpsGetRequest& request : {no_slash, no_ca, bad_port, bad_host}) {
    EXPECT_EQ(HttpsGet(request).status().code(), absl::StatusCode::kInvalidArgument);
  }
  HttpsGetRequest missing_ca = Request(443);
  missing_ca.ca_file = dir_.Join("missing.crt");
  absl::StatusOr<std::string> body = HttpsGet(missing_ca);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr(missing_ca.ca_file));
}

}  // namespace
}  // namespace vigil::controller
