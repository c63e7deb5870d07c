// fuzz_driver_main: a main() for libFuzzer-style targets (a function
// `extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t)`) in builds
// without libFuzzer, such as the default gcc `bazel test` (tools/fuzz.bzl).
//
//   TARGET [flags] CORPUS...     CORPUS: files, or directories of files
//     --mutations=N     mutated inputs per corpus file (default 100)
//     --max_seconds=S   stop mutating after S seconds (default 10; 0 = none)
//     --timeout=S       an input running longer than S seconds is a hang (default 20)
//     --max_len=N       mutations never grow an input beyond N bytes (default 65536)
//     --max_memory_mb=M address-space limit of the process (default 0 = none;
//                       not under ASan or TSan)
//     --seed=N          varies the mutations (default 0)
//
// Runs every corpus file as it is, then rounds of deterministic pseudo-random
// mutations (bit flips, byte and varint overwrites, inserts, erases,
// duplicated ranges, truncation, splices of two files): the same corpus and
// flags always run the same inputs. A crash, an abort, an exit() inside the
// target, or a hang: the input is written to crash-<hash> in
// $TEST_UNDECLARED_OUTPUTS_DIR (or the current directory), the file and the
// mutation are named on stderr, and the process dies (the test fails). Run
// TARGET on that file alone to reproduce it.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tools/sanitizers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

struct Flags {
  uint64_t mutations = 100;
  double max_seconds = 10;
  unsigned timeout = 20;
  size_t max_len = 65536;
  uint64_t max_memory_mb = 0;
  uint64_t seed = 0;
};

struct Seed {
  std::string path;
  std::vector<uint8_t> bytes;
};

// What the signal handlers need, prepared before each input (they may only
// make async-signal-safe calls).
const std::vector<uint8_t>* g_input = nullptr;
char g_crash_path[4096];
char g_what[4096];
volatile sig_atomic_t g_in_input = 0;

void WriteAll(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w <= 0) return;
    c += w;
    n -= static_cast<size_t>(w);
  }
}

void Say(const char* s) { WriteAll(STDERR_FILENO, s, strlen(s)); }

// Saves the current input and names it on stderr.
void SaveInput(const char* why) {
  Say("\nfuzz_driver: ");
  Say(why);
  Say(" on ");
  Say(g_what);
  Say("\n");
  if (g_input == nullptr) return;
  int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    Say("fuzz_driver: cannot write the input to ");
    Say(g_crash_path);
    Say("\n");
    return;
  }
  WriteAll(fd, g_input->data(), g_input->size());
  close(fd);
  Say("fuzz_driver: the input is saved in ");
  Say(g_crash_path);
  Say(" (run the target on that file alone to reproduce)\n");
}

void OnFatalSignal(int sig) {
  if (sig == SIGALRM) {
    SaveInput("timeout: the input ran longer than --timeout (a hang?)");
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  SaveInput(strsignal(sig));
  signal(sig, SIG_DFL);
  raise(sig);
}

void OnExit() {
  if (g_in_input) {
    SaveInput("the target called exit()");
    _exit(1);
  }
}

void InstallHandlers() {
  static std::vector<char> alt(1 << 16);  // handlers run even on a stack overflow
  stack_t ss = {};
  ss.ss_sp = alt.data();
  ss.ss_size = alt.size();
  sigaltstack(&ss, nullptr);
  struct sigaction sa = {};
  sa.sa_handler = OnFatalSignal;
  sa.sa_flags = SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM}) sigaction(sig, &sa, nullptr);
  atexit(OnExit);
}

// splitmix64: small, fast, and the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t s_;
};

uint64_t Hash(const std::vector<uint8_t>& b) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t c : b) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// One mutation of *b, in the spirit of libFuzzer's: small edits that keep most
// of a valid structure, plus values that stress length and delta fields.
void MutateOnce(std::vector<uint8_t>* b, const std::vector<Seed>& seeds, size_t max_len, Rng& rng) {
  static constexpr uint64_t kInteresting[] = {
      0, 1, 2, 0x7f, 0x80, 0xff, 0x3fff, 0x4000, (1ull << 28) - 1, 1ull << 28, 1ull << 31,
      (1ull << 32) - 1, 1ull << 32, (64ull << 20), (64ull << 20) + 1, 1ull << 63, ~0ull, ~0ull - 1};
  const size_t n = b->size();
  switch (rng.Below(11)) {
    case 0:  // flip a bit
      if (n > 0) (*b)[rng.Below(n)] ^= static_cast<uint8_t>(1u << rng.Below(8));
      break;
    case 1:  // a random byte
      if (n > 0) (*b)[rng.Below(n)] = static_cast<uint8_t>(rng.Next());
      break;
    case 2: {  // an interesting byte
      static constexpr uint8_t kBytes[] = {0, 1, 0x7f, 0x80, 0xff, 0x08, 0x10, 0x12, 0x1a};
      if (n > 0) (*b)[rng.Below(n)] = kBytes[rng.Below(sizeof kBytes)];
      break;
    }
    case 3: {  // overwrite with a varint of an interesting value
      if (n == 0) break;
      uint64_t v = kInteresting[rng.Below(std::size(kInteresting))];
      size_t at = rng.Below(n);
      while (at < n) {
        (*b)[at++] = static_cast<uint8_t>(v | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80) break;
        v >>= 7;
      }
      break;
    }
    case 4: {  // erase a range
      if (n == 0) break;
      const size_t at = rng.Below(n);
      const size_t len = 1 + rng.Below(std::min<size_t>(n - at, rng.Below(4) == 0 ? n : 16));
      b->erase(b->begin() + at, b->begin() + at + len);
      break;
    }
    case 5: {  // insert random bytes
      const size_t len = 1 + rng.Below(8);
      if (n + len > max_len) break;
      const size_t at = rng.Below(n + 1);
      std::vector<uint8_t> ins(len);
      for (uint8_t& c : ins) c = static_cast<uint8_t>(rng.Next());
      b->insert(b->begin() + at, ins.begin(), ins.end());
      break;
    }
    case 6: {  // duplicate a range somewhere else
      if (n == 0) break;
      const size_t from = rng.Below(n);
      const size_t len = 1 + rng.Below(std::min<size_t>(n - from, 256));
      if (n + len > max_len) break;
      const std::vector<uint8_t> piece(b->begin() + from, b->begin() + from + len);
      const size_t at = rng.Below(n + 1);
      b->insert(b->begin() + at, piece.begin(), piece.end());
      break;
    }
    case 7:  // truncate
      if (n > 0) b->resize(rng.Below(n));
      break;
    case 8: {  // copy a range over another
      if (n < 2) break;
      const size_t from = rng.Below(n);
      const size_t to = rng.Below(n);
      const size_t len = 1 + rng.Below(std::min<size_t>(n - std::max(from, to), 64));
      std::memmove(b->data() + to, b->data() + from, len);
      break;
    }
    case 9: {  // splice: a prefix of this, a suffix of another corpus file
      const Seed& other = seeds[rng.Below(seeds.size())];
      const size_t keep = rng.Below(n + 1);
      const size_t from = rng.Below(other.bytes.size() + 1);
      b->resize(keep);
      b->insert(b->end(), other.bytes.begin() + from, other.bytes.end());
      if (b->size() > max_len) b->resize(max_len);
      break;
    }
    default: {  // add or subtract a small number to a byte
      if (n == 0) break;
      const size_t at = rng.Below(n);
      (*b)[at] = static_cast<uint8_t>((*b)[at] + 1 + rng.Below(8) * (rng.Below(2) ? 1 : -1));
      break;
    }
  }
}

bool ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Adds path (a file, or every regular file of a directory, sorted) to seeds.
bool AddCorpus(const std::string& path, std::vector<Seed>* seeds) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "fuzz_driver: cannot find corpus %s\n", path.c_str());
    return false;
  }
  std::vector<std::string> files;
  if (S_ISDIR(st.st_mode)) {
    DIR* d = opendir(path.c_str());
    if (d == nullptr) return false;
    while (dirent* e = readdir(d)) {
      const std::string f = path + "/" + e->d_name;
      struct stat fs;
      if (e->d_name[0] != '.' && stat(f.c_str(), &fs) == 0 && S_ISREG(fs.st_mode)) files.push_back(f);
    }
    closedir(d);
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  for (const std::string& f : files) {
    Seed s;
    s.path = f;
    if (!ReadFile(f, &s.bytes)) {
      std::fprintf(stderr, "fuzz_driver: cannot read %s\n", f.c_str());
      return false;
    }
    seeds->push_back(std::move(s));
  }
  return true;
}

bool ParseUint(const char* s, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') return false;
  *out = v;
  return true;
}

void RunOne(const std::vector<uint8_t>& input, const std::string& crash_dir, const char* what,
            unsigned timeout) {
  std::snprintf(g_crash_path, sizeof g_crash_path, "%s/crash-%016llx", crash_dir.c_str(),
                static_cast<unsigned long long>(Hash(input)));
  std::snprintf(g_what, sizeof g_what, "%s", what);
  g_input = &input;
  g_in_input = 1;
  alarm(timeout);
  // libFuzzer hands the target a buffer of exactly the input's size (so that
  // reading past its end is caught); a copy gives ASan builds the same.
  std::vector<uint8_t> copy(input);
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
  alarm(0);
  g_in_input = 0;
  g_input = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  Flags flags;
  std::vector<Seed> seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    uint64_t v = 0;
    if (a.rfind("--", 0) == 0) {
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (eq == std::string::npos || !ParseUint(a.c_str() + eq + 1, &v)) {
        std::fprintf(stderr, "fuzz_driver: bad flag %s (flags are --name=number)\n", a.c_str());
        return 2;
      }
      if (name == "mutations") {
        flags.mutations = v;
      } else if (name == "max_seconds") {
        flags.max_seconds = static_cast<double>(v);
      } else if (name == "timeout") {
        flags.timeout = static_cast<unsigned>(v);
      } else if (name == "max_len") {
        flags.max_len = static_cast<size_t>(v);
      } else if (name == "max_memory_mb") {
        flags.max_memory_mb = v;
      } else if (name == "seed") {
        flags.seed = v;
      } else {
        std::fprintf(stderr, "fuzz_driver: unknown flag %s\n", a.c_str());
        return 2;
      }
    } else if (!AddCorpus(a, &seeds)) {
      return 2;
    }
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz_driver: no corpus files (give corpus directories or files)\n");
    return 2;
  }
  // Not under ASan or TSan: their shadow memory already takes terabytes of
  // address space, so the limit would fail their own mappings (the default
  // build enforces it).
  if (flags.max_memory_mb > 0 && !alloclab::kSanitizerOwnsHeap) {
    const rlim_t bytes = static_cast<rlim_t>(flags.max_memory_mb) << 20;
    struct rlimit rl = {bytes, bytes};
    setrlimit(RLIMIT_AS, &rl);
  }
  const char* out_dir = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string crash_dir = out_dir != nullptr && *out_dir != '\0' ? out_dir : ".";
  InstallHandlers();

  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::string what;
  for (const Seed& s : seeds) {
    what = s.path;
    RunOne(s.bytes, crash_dir, what.c_str(), flags.timeout);
  }
  // Mutations round-robin over the corpus, so a time limit spreads evenly.
  uint64_t mutated = 0;
  bool out_of_time = false;
  for (uint64_t m = 0; m < flags.mutations && !out_of_time; ++m) {
    for (const Seed& s : seeds) {
      if (flags.max_seconds > 0 && elapsed() > flags.max_seconds) {
        out_of_time = true;
        break;
      }
      Rng rng(Hash(s.bytes) ^ (m * 0x9e3779b97f4a7c15ull) ^ (flags.seed * 0xd1b54a32d192ed03ull));
      std::vector<uint8_t> input = s.bytes;
      const size_t edits = 1 + rng.Below(rng.Below(4) == 0 ? 16 : 4);
      for (size_t e = 0; e < edits; ++e) MutateOnce(&input, seeds, flags.max_len, rng);
      what = s.path + " (mutation " + std::to_string(m) + " with --seed=" +
             std::to_string(flags.seed) + ")";
      RunOne(input, crash_dir, what.c_str(), flags.timeout);
      ++mutated;
    }
  }
  std::fprintf(stderr, "fuzz_driver: %zu corpus files and %llu mutated inputs in %.1f s%s: no failure\n",
               seeds.size(), static_cast<unsigned long long>(mutated), elapsed(),
               out_of_time ? " (stopped at --max_seconds)" : "");
  return 0;
}
