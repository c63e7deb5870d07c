// Symbolizer: names for the return addresses of recorded stacks, offline,
// from the trace's memory maps (MALLOC_TRACE_STACKS): the function (C++ names
// demangled) and, when the binary has DWARF line info, its source file and
// line; ELF symbols otherwise. Through elfutils' libdwfl, each binary opened
// once and each address looked up once. An address in no mapping, or in a
// binary that is missing or stripped, gets module+offset: never an error.
#ifndef ALLOCLAB_ANALYSIS_SYMBOLIZER_H_
#define ALLOCLAB_ANALYSIS_SYMBOLIZER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"

struct Dwfl;

namespace alloclab::analysis {

struct MappedFile {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t file_offset = 0;
  std::string path;
};

struct SymbolizedFrame {
  uint64_t address = 0;
  std::string function;  // "" when no symbol covers it
  std::string file;      // "" without line info
  int line = 0;
  std::string module;    // the mapping's file name (no directory); "" if in none
  uint64_t module_offset = 0;  // in that file
  // "function (file:line)", "function (module)", or "module+0x1f2c" / "0x7f12...".
  std::string ToString() const;
  // What frames group by: the function, else module+offset, else the address.
  std::string Name() const;
};

class Symbolizer {
 public:
  explicit Symbolizer(std::vector<MappedFile> mappings);
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // A return address (the frame is the call just before it). The frame stays
  // valid, where it is, for the symbolizer's life.
  const SymbolizedFrame& Symbolize(uint64_t address);

 private:
  const MappedFile* MappingOf(uint64_t address) const;

  std::vector<MappedFile> mappings_;  // by start
  Dwfl* dwfl_ = nullptr;
  // Node-based: the frames handed out stay where they are as more are added.
  absl::node_hash_map<uint64_t, SymbolizedFrame> cache_;
};

}  // namespace alloclab::analysis

#endif  // ALLOCLAB_ANALYSIS_SYMBOLIZER_H_
