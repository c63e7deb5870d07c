// ResolveAllocator and FindDataFile: runfiles, then beside the binary.
#include "replay/allocators.h"

#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/allocator_list.h"

extern char** environ;

namespace alloclab::replay {
namespace {

bool Exists(const std::string& p) { return access(p.c_str(), R_OK) == 0; }

std::string SelfExe() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

absl::Status CheckSharedObject(const std::string& name, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat("allocator ", name, ": cannot read ", path));
  unsigned char ident[EI_NIDENT + 2] = {};
  f.read(reinterpret_cast<char*>(ident), sizeof ident);
  if (f.gcount() < static_cast<std::streamsize>(sizeof ident) || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("allocator ", name, ": ", path, " is not an ELF file"));
  }
  const uint16_t type = static_cast<uint16_t>(ident[EI_NIDENT] | ident[EI_NIDENT + 1] << 8);
  if (type != ET_DYN) {
    return absl::InvalidArgumentError(absl::StrCat("allocator ", name, ": ", path, " is not a shared object"));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& KnownAllocators() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (const ListedAllocator& l : kListedAllocators) v->push_back(l.name);
    return v;
  }();
  return *names;
}

absl::StatusOr<std::string> FindDataFile(const std::string& workspace_path) {
  std::vector<std::string> tried;
  auto try_path = [&](const std::string& p) {
    tried.push_back(p);
    return Exists(p);
  };
  if (const char* dir = getenv("RUNFILES_DIR"); dir != nullptr && *dir != '\0') {
    const std::string p = absl::StrCat(dir, "/alloclab/", workspace_path);
    if (try_path(p)) return p;
  }
  const std::string exe = SelfExe();
  if (!exe.empty()) {
    const std::string p = absl::StrCat(exe, ".runfiles/alloclab/", workspace_path);
    if (try_path(p)) return p;
    // bazel-bin layout: bazel-bin/replay/replay next to bazel-bin/malloc/...
    const std::string bin = exe.substr(0, exe.rfind('/'));
    const std::string q = absl::StrCat(bin, "/../", workspace_path);
    if (try_path(q)) return q;
  }
  return absl::NotFoundError(absl::StrCat("cannot find ", workspace_path, " (looked at ",
                                          absl::StrJoin(tried, ", "), "); build it with bazel"));
}

absl::StatusOr<Allocator> ResolveAllocator(const std::string& name) {
  Allocator a{name, "", ""};
  if (name == "glibc") return a;
  std::string path;
  if (name == "buddy") {
    if (const char* env = getenv("BUDDYMALLOC_SO"); env != nullptr && *env != '\0') {
      path = env;
      a.redirected_by = "BUDDYMALLOC_SO";
    } else {
      auto found = FindDataFile(FindListedAllocator("buddy")->so);
      if (!found.ok()) return found.status();
      path = *found;
    }
  } else if (const ListedAllocator* l = FindListedAllocator(name); l != nullptr) {
    path = l->so;
    if (!Exists(path)) {
      return absl::NotFoundError(
          absl::StrCat("allocator ", name, ": ", path, " is not installed (Debian package ", l->package, ")"));
    }
  } else if (name.size() > 3 && (name.find(".so") != std::string::npos || name.find('/') != std::string::npos)) {
    path = name;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown allocator '", name, "' (known: ",
                                                   absl::StrJoin(KnownAllocators(), ", "), ", or a path to a .so)"));
  }
  char real[PATH_MAX];
  if (realpath(path.c_str(), real) == nullptr) {
    return absl::NotFoundError(absl::StrCat("allocator ", name, ": ", path, " does not exist"));
  }
  if (absl::Status st = CheckSharedObject(name, real); !st.ok()) return st;
  if (std::strpbrk(real, " :") != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("allocator ", name, ": ", real,
                                                   " contains a space or colon, which LD_PRELOAD takes as a "
                                                   "separator; link or copy it to a plain path"));
  }
  a.preload = real;
  return a;
}

std::vector<std::string> AllocatorEnvironment() {
  // glibc, ours, jemalloc, tcmalloc, mimalloc.
  static constexpr const char* kPrefixes[] = {"MALLOC_", "GLIBC_TUNABLES=", "BUDDYMALLOC_", "JE_MALLOC_CONF=",
                                              "TCMALLOC_", "MIMALLOC_"};
  std::vector<std::string> found;
  for (char** e = environ; *e != nullptr; ++e) {
    for (const char* prefix : kPrefixes) {
      if (std::strncmp(*e, prefix, std::strlen(prefix)) == 0) found.emplace_back(*e);
    }
  }
  return found;
}

}  // namespace alloclab::replay
