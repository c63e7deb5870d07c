// main() of fuzz targets built with --config=fuzz: clang's libFuzzer, driven
// the way `bazel run` calls a target. The fuzz_test's own arguments (its seed
// files between --seeds_begin and --seeds_end, and the gcc driver's --flags:
// tools/fuzz.bzl) are turned into what libFuzzer wants: the seeds are copied into a corpus directory that grows
// across runs ($ALLOCLAB_FUZZ_DIR/<target>/corpus, by default under
// /tmp/alloclab-fuzz, unless a directory is given), findings go to
// $ALLOCLAB_FUZZ_DIR/<target>/artifacts/ (unless -artifact_prefix= says
// otherwise), --max_len=N becomes -max_len=N, and the
// driver's other flags are dropped. libFuzzer's own -flags pass through, and
// files given after them are run once each (a finding, reproduced):
//   bazel run --config=fuzz //trace:trace_reader_fuzz -- -max_total_time=60
//   bazel run --config=fuzz //trace:trace_reader_fuzz -- /tmp/alloclab-fuzz/.../crash-1234
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv, int (*callback)(const uint8_t*, size_t));

namespace {

namespace fs = std::filesystem;

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

int RunDriver(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  char** p = argv.data();
  return LLVMFuzzerRunDriver(&argc, &p, LLVMFuzzerTestOneInput);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string target = fs::path(argv[0]).filename().string();
  const char* root = std::getenv("ALLOCLAB_FUZZ_DIR");
  const fs::path work = fs::path(root != nullptr && *root != '\0' ? root : "/tmp/alloclab-fuzz") / target;
  std::vector<std::string> flags, dirs, seeds, inputs;
  bool artifact_prefix = false;
  bool in_seeds = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seeds_begin" || a == "--seeds_end") {
      in_seeds = a == "--seeds_begin";
    } else if (StartsWith(a, "--max_len=")) {
      flags.push_back(a.substr(1));
    } else if (StartsWith(a, "--")) {
      continue;  // the gcc driver's (--mutations, --max_seconds, ...)
    } else if (StartsWith(a, "-")) {
      artifact_prefix |= StartsWith(a, "-artifact_prefix=");
      flags.push_back(a);
    } else if (in_seeds) {
      seeds.push_back(a);
    } else if (fs::is_directory(a)) {
      dirs.push_back(a);
    } else {
      inputs.push_back(a);  // files to run once (a finding to reproduce)
    }
  }
  if (!inputs.empty()) {
    std::vector<std::string> args = {argv[0]};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), inputs.begin(), inputs.end());
    return RunDriver(args);
  }
  std::error_code ec;
  if (dirs.empty()) {
    const fs::path corpus = work / "corpus";
    fs::create_directories(corpus, ec);
    for (const std::string& s : seeds) {
      fs::copy_file(s, corpus / ("seed-" + fs::path(s).filename().string()), fs::copy_options::skip_existing, ec);
    }
    dirs.push_back(corpus.string());
    std::fprintf(stderr, "fuzz: corpus %s (%zu seeds)\n", corpus.c_str(), seeds.size());
  }
  if (!artifact_prefix) {
    const fs::path artifacts = work / "artifacts";
    fs::create_directories(artifacts, ec);
    flags.push_back("-artifact_prefix=" + artifacts.string() + "/");
    std::fprintf(stderr, "fuzz: findings go to %s/\n", artifacts.c_str());
  }
  std::vector<std::string> args = {argv[0]};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), dirs.begin(), dirs.end());
  return RunDriver(args);
}
