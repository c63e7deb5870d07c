// A single-threaded C++ workload for allocator comparisons: maps of strings
// to vectors, hash maps, string building and tear-down, as a typical C++
// service does between requests. Prints a checksum so work cannot be elided.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

int main() {
  uint64_t checksum = 0;
  for (int round = 0; round < 8; ++round) {
    std::map<std::string, std::vector<int>> ordered;
    std::unordered_map<uint64_t, std::unique_ptr<std::string>> hashed;
    for (int i = 0; i < 120000; ++i) {
      std::string key = "user:" + std::to_string((i * 2654435761u) % 1000003) + ":" + std::to_string(round);
      auto& v = ordered[key];
      for (int j = 0; j < i % 9; ++j) v.push_back(i * j);
      hashed[static_cast<uint64_t>(i) * 31] = std::make_unique<std::string>(static_cast<size_t>(i % 200), 'x');
      if (i % 3 == 0) hashed.erase(static_cast<uint64_t>(i / 2) * 31);
    }
    for (auto& [k, v] : ordered) checksum += k.size() + v.size();
    std::string text;
    for (auto& [k, v] : hashed) text += *v;
    checksum += text.size();
  }
  std::printf("%llu\n", static_cast<unsigned long long>(checksum));
  return 0;
}
