// Tests of ReadHttpResponse (controller/identity/http_response.h) on responses held in
// memory and handed out in pieces of every size: body framing, interim responses, status
// errors, the header and body bounds, strict parsing and how a failing source ends it.
// The same stage over a real TLS connection is in https_get_test.cc.
#include "controller/identity/http_response.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::controller {
namespace {

using ::testing::HasSubstr;

// Hands out `data` at most `piece` bytes per read, then ends with `end`: OK is a clean
// close (reads return 0), anything else is returned as the read's error.
class StringSource : public ResponseSource {
 public:
  StringSource(std::string data, size_t piece, absl::Status end = absl::OkStatus())
      : data_(std::move(data)), piece_(piece), end_(std::move(end)) {}

  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    if (pos_ == data_.size()) {
      if (!end_.ok()) return end_;
      return 0;
    }
    const size_t n = std::min({size, piece_, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t piece_;
  absl::Status end_;
  size_t pos_ = 0;
};

// Sizes of the pieces a response is cut into: byte by byte, odd sizes that split the CRLFs,
// and all at once.
const size_t kPieces[] = {1, 2, 3, 7, 64, 1 << 20};

// The response read from `data` in pieces of `piece` bytes.
absl::StatusOr<std::string> Read(const std::string& data, size_t piece = 1 << 20,
                                 size_t max_body_bytes = 1 << 20) {
  StringSource source(data, piece);
  return ReadHttpResponse(source, max_body_bytes);
}

TEST(HttpResponseTest, FramedBodiesReadTheSameInPiecesOfAnySize) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "hello"},
      {"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nContent-Length: 5\r\n\r\nhello", "hello"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ""},
      {"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n{}", "{}"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
       "3\r\nabc\r\n"
       "a ; name=value\r\n0123456789\r\n"
       "0\r\nX-Checksum: 1\r\nX-More:\t2\r\n\r\n",
       "abc0123456789"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ""},
      {"HTTP/1.0 200 OK\r\n\r\nuntil the end", "until the end"},
      {"HTTP/1.1 200 OK\r\nX-Empty:\r\n\r\n", ""},
  };
  for (const auto& [response, body] : cases) {
    for (size_t piece : kPieces) {
      SCOPED_TRACE(absl::StrCat(piece, "-byte pieces of ", response));
      absl::StatusOr<std::string> got = Read(response, piece);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, body);
    }
  }
}

TEST(HttpResponseTest, StopsAtTheFramedEndOfTheBody) {
  // What follows a Content-Length body or the last chunk is never read into the body.
  EXPECT_EQ(*Read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK"), "{}");
  EXPECT_EQ(*Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nmore"),
            "x");
  // A Content-Length body is complete without waiting for the server to close.
  StringSource source("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 1 << 20,
                      absl::UnavailableError("would block forever"));
  absl::StatusOr<std::string> body = ReadHttpResponse(source, 100);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{}");
}

TEST(HttpResponseTest, SkipsUpToSevenInterimResponses) {
  auto with_interim = [](int count) {
    std::string response;
    for (int i = 0; i < count; ++i) absl::StrAppend(&response, "HTTP/1.1 103 Early Hints\r\n\r\n");
    return response + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  };
  for (size_t piece : kPieces) {
    absl::StatusOr<std::string> body = Read(with_interim(7), piece);
    ASSERT_TRUE(body.ok()) << body.status();
    EXPECT_EQ(*body, "ok");
  }
  absl::StatusOr<std::string> body = Read(with_interim(8));
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(body.status().message(), "unexpected HTTP 103");
  // Switching protocols is never followed.
  body = Read("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(body.status().message(), "unexpected HTTP 101");
}

TEST(HttpResponseTest, StatusErrorsMapToCodes) {
  struct Case {
    int status;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {401, absl::StatusCode::kUnauthenticated},    {403, absl::StatusCode::kPermissionDenied},
      {404, absl::StatusCode::kNotFound},           {429, absl::StatusCode::kUnavailable},
      {500, absl::StatusCode::kUnavailable},        {503, absl::StatusCode::kUnavailable},
      {201, absl::StatusCode::kFailedPrecondition}, {204, absl::StatusCode::kFailedPrecondition},
      {301, absl::StatusCode::kFailedPrecondition}, {400, absl::StatusCode::kFailedPrecondition},
      {418, absl::StatusCode::kFailedPrecondition},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    absl::StatusOr<std::string> body =
        Read(absl::StrCat("HTTP/1.1 ", c.status, " Reason\r\nContent-Length: 4\r\n\r\nwhy!"));
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.status().code(), c.code);
    // 204 has no body whatever the headers say: the reason phrase stands in for it.
    EXPECT_EQ(body.status().message(),
              absl::StrCat("HTTP ", c.status, c.status == 204 ? " Reason" : ": why!"));
  }
}

TEST(HttpResponseTest, StatusErrorQuotesTheReasonWhenThereIsNoBody) {
  EXPECT_EQ(Read("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").status().message(),
            "HTTP 404 Not Found");
  EXPECT_EQ(Read("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n").status().message(), "HTTP 404");
  EXPECT_EQ(Read("HTTP/1.1 503 Slow\tDown\r\n\r\n").status().message(), "HTTP 503 Slow Down");
}

TEST(HttpResponseTest, ErrorBodyIsReadInPartAndNeverFailsTheStatus) {
  // Larger than the most an error body is read to, chunked, cut short or unreadable: the
  // status is still the error, quoting what was read (or the reason phrase).
  const std::string big(10000, 'e');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {absl::StrCat("HTTP/1.1 500 Oops\r\nContent-Length: ", big.size(), "\r\n\r\n", big),
       ": " + std::string(100, 'e')},
      {"HTTP/1.1 500 Oops\r\n\r\n" + big, ": " + std::string(100, 'e')},
      {absl::StrCat("HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n2710\r\n", big,
                    "\r\n0\r\n\r\n"),
       ": " + std::string(100, 'e')},
      {"HTTP/1.1 500 Oops\r\nContent-Length: 300\r\n\r\n" + big.substr(0, 50),
       ": " + std::string(50, 'e')},
      {"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", " Oops"},
  };
  for (const auto& [response, quoted] : cases) {
    for (size_t piece : {size_t{7}, size_t{1} << 20}) {
      SCOPED_TRACE(absl::StrCat(piece, "-byte pieces of ", response.substr(0, 50)));
      absl::StatusOr<std::string> body = Read(response, piece, /*max_body_bytes=*/100);
      ASSERT_FALSE(body.ok());
      EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
      EXPECT_EQ(body.status().message(), "HTTP 500" + quoted);
    }
  }
  // The quote stops at 200 bytes even when more of the body was read.
  absl::StatusOr<std::string> body = Read("HTTP/1.1 500 Oops\r\n\r\n" + big);
  EXPECT_EQ(body.status().message(), "HTTP 500: " + std::string(200, 'e'));
}

TEST(HttpResponseTest, BodyLimitIsExact) {
  const std::string body(100, 'b');
  const std::vector<std::string> at_limit = {
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + body,
      "HTTP/1.1 200 OK\r\n\r\n" + body,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n32\r\n" + body.substr(0, 50) +
          "\r\n32\r\n" + body.substr(0, 50) + "\r\n0\r\n\r\n",
  };
  for (const std::string& response : at_limit) {
    SCOPED_TRACE(response.substr(0, 50));
    absl::StatusOr<std::string> got = Read(response, 3, /*max_body_bytes=*/100);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, body);
    got = Read(response, 3, /*max_body_bytes=*/99);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted) << got.status();
    EXPECT_THAT(std::string(got.status().message()), HasSubstr("99"));
  }
}

TEST(HttpResponseTest, HeaderBlocksShareOneBound) {
  // A header block of exactly `size` bytes before the blank line that ends it.
  auto block = [](absl::string_view status_line, size_t size) {
    std::string text = absl::StrCat(status_line, "\r\nX-Fill: ");
    text.append(size - text.size(), 'f');
    return text + "\r\n\r\n";
  };
  for (size_t piece : {size_t{1000}, size_t{1} << 20}) {
    SCOPED_TRACE(piece);
    absl::StatusOr<std::string> body =
        Read(block("HTTP/1.1 200 OK", kMaxResponseHeaderBytes) + "{}", piece);
    ASSERT_TRUE(body.ok()) << body.status();
    EXPECT_EQ(*body, "{}");
    body = Read(block("HTTP/1.1 200 OK", kMaxResponseHeaderBytes + 1) + "{}", piece);
    EXPECT_EQ(body.status().code(), absl::StatusCode::kResourceExhausted) << body.status();
    EXPECT_THAT(std::string(body.status().message()), HasSubstr("headers larger than 65536"));
  }
  // Interim responses spend the same budget as the final head (each with its blank line).
  const std::string interim = block("HTTP/1.1 100 Continue", 40000);
  absl::StatusOr<std::string> body = Read(interim + block("HTTP/1.1 200 OK", 30000));
  EXPECT_EQ(body.status().code(), absl::StatusCode::kResourceExhausted) << body.status();
  EXPECT_TRUE(Read(interim + block("HTTP/1.1 200 OK", 20000)).ok());
  // So do chunked trailers: past what is left, a trailer line is too long.
  auto with_trailers = [](int count) {
    std::string response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n";
    for (int i = 0; i < count; ++i) {
      absl::StrAppend(&response, "X-T: ", std::string(44, 't'), "\r\n");
    }
    return response + "\r\n";
  };
  EXPECT_TRUE(Read(with_trailers(600)).ok());
  body = Read(with_trailers(1400));
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable) << body.status();
  EXPECT_THAT(std::string(body.status().message()), HasSubstr("line longer than"));
}

TEST(HttpResponseTest, RefusesMalformedOrIncompleteResponses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"HTTP/1.1 20 OK\r\n\r\n", "status line"},
      {"HTTP/1.1 600 Beyond\r\n\r\n", "status line"},
      {"HTTP/1.1 099 Below\r\n\r\n", "status line"},
      {"HTTP/1.1 2x0 OK\r\n\r\n", "status line"},
      {"HTTP/1.1 200OK\r\n\r\n", "status line"},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", "status line"},
      {"http/1.1 200 OK\r\n\r\n", "status line"},
      {"HTTP/1.1 200 OK\r\n: no name\r\n\r\n", "bad header line"},
      {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "bad header line"},
      {"HTTP/1.1 200 OK\r\n\tX-Tab: 1\r\n\r\n", "folded"},
      {"HTTP/1.1 200 OK\r\nX-Ctl: a\x7f"
       "b\r\n\r\n",
       "control character in header X-Ctl"},
      {"HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\n\r\n", "bare CR or LF"},
      {"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", "Content-Length \"\""},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n", "Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", "Content-Length"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       "Transfer-Encoding"},
      {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "chunked with HTTP/1.0"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
       "chunk too large"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 x\r\n", "chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;\r\n", "chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxx\r\n", "CRLF"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(5000, '0') + "\r\n",
       "line longer than 4096 bytes"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nBad Trailer\r\n\r\n",
       "bad header line"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n", "inside the body"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n", "inside the body"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{}", "closed inside the body"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", "closed inside the response headers"},
      {"HTTP/1.1 200 OK\r\n\r", "closed inside the response headers"},
      {"", "closed without a response"},
  };
  for (const auto& [response, expected] : cases) {
    for (size_t piece : {size_t{1}, size_t{1} << 20}) {
      SCOPED_TRACE(absl::StrCat(piece, "-byte pieces of ", response.substr(0, 80)));
      absl::StatusOr<std::string> body = Read(response, piece);
      ASSERT_FALSE(body.ok());
      EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable) << body.status();
      EXPECT_THAT(std::string(body.status().message()), HasSubstr(expected));
    }
  }
}

TEST(HttpResponseTest, QuotedTextIsSanitizedAndCut) {
  absl::StatusOr<std::string> body = Read("HTTP/1.1 200 OK\r\nContent-Length: \x80\xff\r\n\r\n");
  EXPECT_EQ(body.status().message(), "malformed response: Content-Length \"??\"");
  body = Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + std::string(100, 'g') + "\r\n\r\n");
  EXPECT_EQ(body.status().message(),
            "unsupported response: Transfer-Encoding \"" + std::string(64, 'g') + "\"");
  body = Read("HTTP/9.9 200 OK\r\n\r\n");
  EXPECT_EQ(body.status().message(), "malformed response: status line \"HTTP/9.9 200 OK\"");
}

TEST(HttpResponseTest, SourceErrorsEndTheResponse) {
  const std::string response = "HTTP/1.1 200 OK\r\n\r\nsome of the body";
  StringSource source(response, 4, absl::DeadlineExceededError("reading response: timed out"));
  absl::StatusOr<std::string> body = ReadHttpResponse(source, 1 << 20);
  EXPECT_EQ(body.status(), absl::DeadlineExceededError("reading response: timed out"));

  StringSource early("HTTP/1.1 20", 4, absl::UnavailableError("reset"));
  EXPECT_EQ(ReadHttpResponse(early, 1 << 20).status(), absl::UnavailableError("reset"));
}

TEST(HttpResponseTest, SanitizeForMessage) {
  EXPECT_EQ(SanitizeForMessage("plain text: {\"a\":1}"), "plain text: {\"a\":1}");
  EXPECT_EQ(SanitizeForMessage("a\r\nb\tc"), "a  b c");
  EXPECT_EQ(SanitizeForMessage(std::string("nul\0del\x7f\x80\xff", 10)), "nul?del???");
  EXPECT_EQ(SanitizeForMessage(""), "");
}

}  // namespace
}  // namespace vigil::controller
