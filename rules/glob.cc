#include "rules/glob.h"

#include <cstddef>

#include "absl/strings/str_cat.h"

namespace vigil::rules {
namespace {

// Finds the end of the bracket expression starting at pattern[open] == '['. Returns the
// index of its closing ']', or npos when unterminated.
size_t ClassEnd(absl::string_view pattern, size_t open) {
  size_t i = open + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  if (i < pattern.size() && pattern[i] == ']') ++i;  // literal ']' as first member
  while (i < pattern.size() && pattern[i] != ']') ++i;
  return i < pattern.size() ? i : absl::string_view::npos;
}

// True when byte `c` is in the bracket expression pattern[open..close].
bool ClassMatches(absl::string_view pattern, size_t open, size_t close, unsigned char c) {
  size_t i = open + 1;
  bool negate = false;
  if (pattern[i] == '!' || pattern[i] == '^') {
    negate = true;
    ++i;
  }
  bool found = false;
  // A ']' in first position is a member: ClassEnd placed `close` after it.
  while (i < close) {
    const unsigned char lo = static_cast<unsigned char>(pattern[i]);
    if (i + 2 < close && pattern[i + 1] == '-') {
      const unsigned char hi = static_cast<unsigned char>(pattern[i + 2]);
      if (c >= lo && c <= hi) found = true;
      i += 3;
    } else {
      if (c == lo) found = true;
      ++i;
    }
  }
  return found != negate;
}

}  // namespace

absl::Status ValidateGlob(absl::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 == pattern.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad glob pattern '", pattern, "': trailing \\"));
      }
      ++i;
    } else if (pattern[i] == '[') {
      const size_t close = ClassEnd(pattern, i);
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad glob pattern '", pattern, "': unterminated ["));
      }
      i = close;
    }
  }
  return absl::OkStatus();
}

bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  size_t p = 0;
  size_t t = 0;
  // The last '*' seen and the text position it is currently stretched to: on a mismatch
  // the star absorbs one more byte. One backtrack point suffices because '*' crosses '/'.
  size_t star_p = absl::string_view::npos;
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        star_p = p++;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        const size_t close = ClassEnd(pattern, p);
        if (close != absl::string_view::npos &&
            ClassMatches(pattern, p, close, static_cast<unsigned char>(text[t]))) {
          p = close + 1;
          ++t;
          continue;
        }
      } else if (pc == '\\' && p + 1 < pattern.size()) {
        if (pattern[p + 1] == text[t]) {
          p += 2;
          ++t;
          continue;
        }
      } else if (pc == text[t]) {
        ++p;
        ++t;
        continue;
      }
    }
    if (star_p == absl::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string GlobLiteralPrefix(absl::string_view pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '*' || c == '?' || c == '[') break;
    if (c == '\\') {
      if (i + 1 == pattern.size()) break;
      ++i;
    }
    out.push_back(pattern[i]);
  }
  return out;
}

}  // namespace vigil::rules
