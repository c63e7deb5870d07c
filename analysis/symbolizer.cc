// Symbolizer: libdwfl modules reported at their load bias, then addrinfo and
// line lookups, cached.
#include "analysis/symbolizer.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace alloclab::analysis {
namespace {

const Dwfl_Callbacks kCallbacks = {
    nullptr,                          // find_elf: every module is reported with its file
    dwfl_standard_find_debuginfo,     // separate debug files (/usr/lib/debug/.build-id)
    dwfl_offline_section_address,
    nullptr,
};

std::string Demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || d == nullptr) return name;
  std::string out(d);
  std::free(d);
  return out;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Where the file's address 0 lies in memory: from the loadable segment
// that holds the mapping's file offset. false when the file cannot be read.
bool LoadBias(const MappedFile& m, uint64_t* bias, bool* is_exec) {
  const int fd = open(m.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  bool found = false;
  GElf_Ehdr ehdr;
  size_t phnum = 0;
  if (elf != nullptr && gelf_getehdr(elf, &ehdr) != nullptr && elf_getphdrnum(elf, &phnum) == 0) {
    *is_exec = ehdr.e_type == ET_EXEC;
    for (size_t i = 0; i < phnum && !found; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_LOAD) continue;
      if (m.file_offset >= ph.p_offset && m.file_offset < ph.p_offset + std::max(ph.p_filesz, ph.p_memsz)) {
        *bias = m.start - (ph.p_vaddr + (m.file_offset - ph.p_offset));
        found = true;
      }
    }
  }
  if (elf != nullptr) elf_end(elf);
  close(fd);
  return found;
}

}  // namespace

std::string SymbolizedFrame::ToString() const {
  if (!function.empty()) {
    if (!file.empty()) return absl::StrCat(function, " (", BaseName(file), ":", line, ")");
    if (!module.empty()) return absl::StrCat(function, " (", module, ")");
    return function;
  }
  if (!module.empty()) return absl::StrFormat("%s+0x%x", module, module_offset);
  return absl::StrFormat("0x%x", address);
}

std::string SymbolizedFrame::Name() const {
  if (!function.empty()) return function;
  return ToString();
}

Symbolizer::Symbolizer(std::vector<MappedFile> mappings) : mappings_(std::move(mappings)) {
  std::sort(mappings_.begin(), mappings_.end(),
            [](const MappedFile& a, const MappedFile& b) { return a.start < b.start; });
  dwfl_ = dwfl_begin(&kCallbacks);
  if (dwfl_ == nullptr) return;
  dwfl_report_begin(dwfl_);
  absl::flat_hash_set<std::pair<std::string, uint64_t>> reported;  // (path, bias)
  for (const MappedFile& m : mappings_) {
    uint64_t bias = 0;
    bool is_exec = false;
    if (m.path.empty() || m.path[0] != '/' || !LoadBias(m, &bias, &is_exec)) continue;
    // One report per loaded file (its several mappings share a bias).
    if (!reported.insert({m.path, bias}).second) continue;
    dwfl_report_elf(dwfl_, BaseName(m.path).c_str(), m.path.c_str(), -1, is_exec ? 0 : bias, false);
  }
  dwfl_report_end(dwfl_, nullptr, nullptr);
}

Symbolizer::~Symbolizer() {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);
}

const MappedFile* Symbolizer::MappingOf(uint64_t address) const {
  auto it = std::upper_bound(mappings_.begin(), mappings_.end(), address,
                             [](uint64_t a, const MappedFile& m) { return a < m.start; });
  if (it == mappings_.begin()) return nullptr;
  --it;
  return address < it->end ? &*it : nullptr;
}

const SymbolizedFrame& Symbolizer::Symbolize(uint64_t address) {
  auto [it, fresh] = cache_.try_emplace(address);
  SymbolizedFrame& f = it->second;
  if (!fresh) return f;
  f.address = address;
  if (const MappedFile* m = MappingOf(address); m != nullptr) {
    f.module = BaseName(m->path);
    f.module_offset = address - m->start + m->file_offset;
  }
  if (dwfl_ == nullptr || address == 0) return f;
  // A return address: the call is the instruction before it.
  const Dwarf_Addr pc = address - 1;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_, pc);
  if (mod == nullptr) return f;
  GElf_Off offset = 0;
  GElf_Sym sym;
  if (const char* name = dwfl_module_addrinfo(mod, pc, &offset, &sym, nullptr, nullptr, nullptr); name != nullptr) {
    f.function = Demangle(name);
  }
  if (Dwfl_Line* line = dwfl_module_getsrc(mod, pc); line != nullptr) {
    int lineno = 0;
    if (const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr); file != nullptr) {
      f.file = file;
      f.line = lineno;
    }
  }
  return f;
}

}  // namespace alloclab::analysis
