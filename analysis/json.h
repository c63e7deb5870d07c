// JSON string literals for the reports tracetool writes (--json, the HTML
// profile's embedded data).
#ifndef ALLOCLAB_ANALYSIS_JSON_H_
#define ALLOCLAB_ANALYSIS_JSON_H_

#include <string>

#include "absl/strings/str_format.h"

namespace alloclab::analysis {

// s as a JSON string: quotes, backslashes and control characters escaped,
// "</" written "<\/" (safe inside an HTML <script>); other bytes (UTF-8 in
// names and paths) as they are.
inline std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
    } else if (c == '/' && out.back() == '<') {
      out += "\\/";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace alloclab::analysis

#endif  // ALLOCLAB_ANALYSIS_JSON_H_
