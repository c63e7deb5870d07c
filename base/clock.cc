// Finding clock_gettime in the vDSO the kernel maps into every process: its
// ELF dynamic symbol table, found through the auxiliary vector.
#include "base/clock.h"

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

#include <cerrno>
#include <cstring>

namespace alloclab::base {
namespace clock_internal {

std::atomic<ClockGettime> g_clock_gettime{nullptr};

namespace {

ClockGettime FindInVdso() {
  const auto* ehdr = reinterpret_cast<const ElfW(Ehdr)*>(getauxval(AT_SYSINFO_EHDR));
  if (ehdr == nullptr || std::memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0) return nullptr;
  const char* image = reinterpret_cast<const char*>(ehdr);
  const auto* phdrs = reinterpret_cast<const ElfW(Phdr)*>(image + ehdr->e_phoff);
  // Symbol values are virtual addresses of the image as linked; the image
  // sits at `image`, its first PT_LOAD at p_vaddr.
  intptr_t bias = 0;
  bool loaded = false;
  const ElfW(Dyn)* dynamic = nullptr;
  for (int i = 0; i < ehdr->e_phnum; ++i) {
    if (phdrs[i].p_type == PT_LOAD && !loaded) {
      bias = reinterpret_cast<intptr_t>(image) + static_cast<intptr_t>(phdrs[i].p_offset) -
             static_cast<intptr_t>(phdrs[i].p_vaddr);
      loaded = true;
    } else if (phdrs[i].p_type == PT_DYNAMIC) {
      dynamic = reinterpret_cast<const ElfW(Dyn)*>(image + phdrs[i].p_offset);
    }
  }
  if (!loaded || dynamic == nullptr) return nullptr;
  const ElfW(Sym)* symbols = nullptr;
  const char* names = nullptr;
  const ElfW(Word)* hash = nullptr;
  for (const ElfW(Dyn)* d = dynamic; d->d_tag != DT_NULL; ++d) {
    const char* at = reinterpret_cast<const char*>(d->d_un.d_ptr + bias);
    if (d->d_tag == DT_SYMTAB) symbols = reinterpret_cast<const ElfW(Sym)*>(at);
    if (d->d_tag == DT_STRTAB) names = at;
    if (d->d_tag == DT_HASH) hash = reinterpret_cast<const ElfW(Word)*>(at);
  }
  if (symbols == nullptr || names == nullptr || hash == nullptr) return nullptr;
  const ElfW(Word) count = hash[1];  // nchain: one per symbol
  for (ElfW(Word) i = 0; i < count; ++i) {
    const ElfW(Sym)& s = symbols[i];
    if (ELF64_ST_TYPE(s.st_info) == STT_FUNC && s.st_shndx != SHN_UNDEF &&
        std::strcmp(names + s.st_name, "__vdso_clock_gettime") == 0) {
      return reinterpret_cast<ClockGettime>(s.st_value + bias);
    }
  }
  return nullptr;
}

}  // namespace

ClockGettime ResolveClockGettime() {
  // getauxval sets errno when there is no vDSO; free keeps errno.
  const int saved_errno = errno;
  ClockGettime f = FindInVdso();
  errno = saved_errno;
  if (f == nullptr) f = &clock_gettime;
  g_clock_gettime.store(f, std::memory_order_relaxed);
  return f;
}

bool UsesVdso() {
  ClockGettime f = g_clock_gettime.load(std::memory_order_relaxed);
  if (f == nullptr) f = ResolveClockGettime();
  return f != &clock_gettime;
}

}  // namespace clock_internal
}  // namespace alloclab::base
