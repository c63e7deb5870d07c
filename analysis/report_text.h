// Text inside the reports tracetool and replay write: JSON string literals
// (--json, the HTML pages' embedded data) and HTML-escaped text.
#ifndef ALLOCLAB_ANALYSIS_REPORT_TEXT_H_
#define ALLOCLAB_ANALYSIS_REPORT_TEXT_H_

#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

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

// s as HTML text or attribute value.
inline std::string HtmlEscape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

}  // namespace alloclab::analysis

#endif  // ALLOCLAB_ANALYSIS_REPORT_TEXT_H_
