// mtrace import: the line parser, the streaming line reader, the file
// conversion with its write-then-rename.
#include "analysis/mtrace_import.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "trace/record_encoder.h"
#include "trace/trace_writer.h"

namespace alloclab::analysis {
namespace {

using trace::Event;
using trace::Kind;

constexpr size_t kReadBytes = 64 << 10;
constexpr size_t kQuoteBytes = 120;  // longer quotes are cut to 40 ... 80
constexpr size_t kQuoteHead = 40;

// s for a message: printable ASCII as is, other bytes as \xNN; a long s is
// cut in the middle ("...") so that the operation at its end stays in view.
std::string Quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto append = [](std::string* q, std::string_view part) {
    for (unsigned char c : part) {
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        *q += static_cast<char>(c);
      } else {
        *q += "\\x";
        *q += kHex[c >> 4];
        *q += kHex[c & 15];
      }
    }
  };
  std::string q;
  if (s.size() <= kQuoteBytes) {
    append(&q, s);
  } else {
    append(&q, s.substr(0, kQuoteHead));
    q += "...";
    append(&q, s.substr(s.size() - (kQuoteBytes - kQuoteHead)));
  }
  return q;
}

// The words of s separated by runs of spaces.
std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    const size_t end = std::min(s.find(' ', i), s.size());
    words.push_back(s.substr(i, end - i));
    i = end;
  }
  return words;
}

// "0x" and 1 to 16 hex digits.
bool ParseHex(std::string_view s, uint64_t* v) {
  if (s.size() < 3 || s.size() > 18 || s[0] != '0' || s[1] != 'x') return false;
  uint64_t x = 0;
  for (char c : s.substr(2)) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    x = x << 4 | static_cast<uint64_t>(d);
  }
  *v = x;
  return true;
}

// %p: "(nil)" or hex.
bool ParsePointer(std::string_view s, uint64_t* v) {
  if (s == "(nil)") {
    *v = 0;
    return true;
  }
  return ParseHex(s, v);
}

// %#lx: "0" or hex.
bool ParseSize(std::string_view s, uint64_t* v) {
  if (s == "0") {
    *v = 0;
    return true;
  }
  return ParseHex(s, v);
}

}  // namespace

absl::Status MtraceParser::Fail(uint64_t line, const std::string& what, std::string_view text) const {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what, ": '", Quote(text), "'"));
}

absl::Status MtraceParser::Emit(Event e) {
  e.thread_id = kMtraceThreadId;
  e.seq = ++seq_;
  ++counts_.events;
  return sink_(e);
}

absl::Status MtraceParser::AddLine(std::string_view line) {
  const uint64_t n = ++counts_.lines;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::string_view text = line;
  if (line.empty() && !realloc_open_) return absl::OkStatus();

  // The optional caller: "@ " ... "] ". What follows has no ']'.
  if (line.size() >= 2 && line[0] == '@' && line[1] == ' ') {
    const size_t end = line.rfind("] ");
    if (end == std::string_view::npos) {
      return Fail(n, "caller '@ ...' not closed by '] ' before the operation", text);
    }
    line.remove_prefix(end + 2);
  }
  const std::vector<std::string_view> words = Words(line);
  if (words.empty() || words[0].size() != 1) {
    if (realloc_open_) {
      return Fail(n, absl::StrCat("expected the '>' line completing the realloc of line ", realloc_line_), text);
    }
    return Fail(n, "not an mtrace line (expected '= ', '+', '-', '<', '>' or '!')", text);
  }
  const char op = words[0][0];
  if (realloc_open_ && op != '>') {
    return Fail(n, absl::StrCat("expected the '>' line completing the realloc of line ", realloc_line_), text);
  }
  if (op == '=') return absl::OkStatus();  // "= Start", "= End"

  size_t want;
  const char* form;
  switch (op) {
    case '+': want = 3, form = "'+ PTR SIZE'"; break;
    case '-': want = 2, form = "'- PTR'"; break;
    case '<': want = 2, form = "'< PTR'"; break;
    case '>': want = 3, form = "'> PTR SIZE'"; break;
    case '!': want = 3, form = "'! PTR SIZE'"; break;
    default:
      return Fail(n, absl::StrCat("unknown operation '", Quote(words[0]), "'"), text);
  }
  if (words.size() != want) return Fail(n, absl::StrCat("expected ", form), text);
  uint64_t ptr = 0, size = 0;
  if (!ParsePointer(words[1], &ptr)) {
    return Fail(n, absl::StrCat("bad pointer '", Quote(words[1]),
                                "' (expected 0x... or (nil))"), text);
  }
  if (want == 3 && !ParseSize(words[2], &size)) {
    return Fail(n, absl::StrCat("bad size '", Quote(words[2]),
                                "' (expected 0 or 0x...)"), text);
  }

  Event e;
  e.time = n;
  switch (op) {
    case '+':
      ++counts_.mallocs;
      e.kind = Kind::kMalloc;
      e.size = size;
      e.out = ptr;
      return Emit(e);
    case '-':
      ++counts_.frees;
      e.kind = Kind::kFree;
      e.in = ptr;
      return Emit(e);
    case '<':
      realloc_open_ = true;
      realloc_line_ = n;
      realloc_old_ = ptr;
      return absl::OkStatus();
    case '>':
      if (!realloc_open_) return Fail(n, "'>' without the '<' line that starts a realloc", text);
      realloc_open_ = false;
      ++counts_.reallocs;
      e.kind = Kind::kRealloc;
      e.time = realloc_line_;
      e.in = realloc_old_;
      e.size = size;
      e.out = ptr;
      return Emit(e);
    default:  // '!'
      ++counts_.failed_reallocs;
      e.kind = Kind::kRealloc;
      e.in = ptr;
      e.size = size;
      e.out = 0;
      return Emit(e);
  }
}

absl::Status MtraceParser::Finish() {
  if (realloc_open_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", realloc_line_, ": the log ends before the '>' line completing this realloc"));
  }
  return absl::OkStatus();
}

absl::StatusOr<MtraceCounts> ParseMtrace(trace::ByteSource* source, const MtraceParser::Sink& sink) {
  MtraceParser parser(sink);
  std::vector<char> piece(kReadBytes);
  std::string partial;  // a line split across pieces
  for (;;) {
    auto got = source->Read(piece.data(), piece.size());
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    const char* p = piece.data();
    const char* end = p + *got;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      if (nl == nullptr) {
        partial.append(p, end);
        if (partial.size() > kMaxMtraceLineBytes) {
          return absl::InvalidArgumentError(absl::StrCat("line ", parser.counts().lines + 1,
                                                         ": longer than ", kMaxMtraceLineBytes,
                                                         " bytes (not an mtrace log?)"));
        }
        break;
      }
      std::string_view line(p, static_cast<size_t>(nl - p));
      if (!partial.empty()) {
        partial.append(p, nl);
        line = partial;
      }
      if (line.size() > kMaxMtraceLineBytes) {
        return absl::InvalidArgumentError(absl::StrCat("line ", parser.counts().lines + 1,
                                                       ": longer than ", kMaxMtraceLineBytes,
                                                       " bytes (not an mtrace log?)"));
      }
      if (absl::Status st = parser.AddLine(line); !st.ok()) return st;
      partial.clear();
      p = nl + 1;
    }
  }
  if (!partial.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", parser.counts().lines + 1,
        ": the log ends in the middle of a line, without its newline (cut short?)"));
  }
  if (absl::Status st = parser.Finish(); !st.ok()) return st;
  return parser.counts();
}

absl::StatusOr<MtraceCounts> ImportMtrace(trace::ByteSource* log, trace::ByteSink* out) {
  trace::HeaderFields h;
  h.clock_source = "mtrace log line number";
  h.tracer = "alloclab tracetool import --format=mtrace";
  trace::TraceWriter::Options options;
  options.compress = true;
  trace::TraceWriter writer(out, h, options);
  auto counts = ParseMtrace(log, [&writer](const Event& e) { return writer.Append(e); });
  if (!counts.ok()) return counts.status();
  if (absl::Status st = writer.Flush(); !st.ok()) return st;
  return counts;
}

absl::StatusOr<MtraceCounts> ImportMtraceFile(const std::string& log_path, const std::string& out_path) {
  auto log = trace::OpenFileSource(log_path);
  if (!log.ok()) return log.status();
  if (out_path == "-") {
    auto out = trace::OpenFileSink("-");
    if (!out.ok()) return out.status();
    return ImportMtrace(log->get(), out->get());
  }
  const std::string tmp = out_path + ".tmp";
  auto out = trace::OpenFileSink(tmp);
  if (!out.ok()) return out.status();
  auto counts = ImportMtrace(log->get(), out->get());
  if (absl::Status st = (*out)->Close(); counts.ok() && !st.ok()) {
    counts = absl::Status(st.code(), absl::StrCat("cannot write ", tmp, ": ", st.message()));
  }
  if (!counts.ok()) {
    std::remove(tmp.c_str());
    return counts.status();
  }
  if (std::rename(tmp.c_str(), out_path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return absl::ErrnoToStatus(err, absl::StrCat("cannot rename ", tmp, " to ", out_path));
  }
  return counts;
}

}  // namespace alloclab::analysis
