#include "sensor/output/json_writer.h"

#include "absl/strings/str_cat.h"

namespace vigil::sensor {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendEscapedByte(unsigned char c, std::string* out) {
  out->append("\\u00");
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 0xf]);
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t min;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  uint32_t cp = c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

}  // namespace

void JsonWriter::AppendQuoted(absl::string_view value, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(value, i);
      if (len == 0) {
        AppendEscapedByte(c, out);
        ++i;
      } else {
        out->append(value.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          AppendEscapedByte(c, out);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

void JsonWriter::Separator() {
  if (!first_) out_->push_back(',');
  first_ = false;
}

void JsonWriter::BeginObject() {
  Separator();
  out_->push_back('{');
  first_ = true;
}

void JsonWriter::BeginObject(absl::string_view key) {
  Key(key);
  out_->push_back('{');
  first_ = true;
}

void JsonWriter::EndObject() {
  out_->push_back('}');
  first_ = false;
}

void JsonWriter::BeginArray(absl::string_view key) {
  Key(key);
  out_->push_back('[');
  first_ = true;
}

void JsonWriter::EndArray() {
  out_->push_back(']');
  first_ = false;
}

void JsonWriter::Key(absl::string_view key) {
  Separator();
  AppendQuoted(key, out_);
  out_->push_back(':');
}

void JsonWriter::String(absl::string_view key, absl::string_view value) {
  Key(key);
  AppendQuoted(value, out_);
}

void JsonWriter::Uint(absl::string_view key, uint64_t value) {
  Key(key);
  absl::StrAppend(out_, value);
}

void JsonWriter::Int(absl::string_view key, int64_t value) {
  Key(key);
  absl::StrAppend(out_, value);
}

void JsonWriter::Bool(absl::string_view key, bool value) {
  Key(key);
  out_->append(value ? "true" : "false");
}

void JsonWriter::Null(absl::string_view key) {
  Key(key);
  out_->append("null");
}

void JsonWriter::ArrayString(absl::string_view value) {
  Separator();
  AppendQuoted(value, out_);
}

}  // namespace vigil::sensor
