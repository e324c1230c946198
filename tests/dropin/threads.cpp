// threads.cpp: C++ under the drop-in allocator. Containers built in static
// constructors (before main: the allocator must work that early), then
// threads building and destroying maps, vectors and strings, and a checksum
// that must not depend on the allocator.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

static std::map<int, std::string> early_map = [] {
  std::map<int, std::string> m;
  for (int i = 0; i < 1000; i++) m[i] = "static-" + std::to_string(i);
  return m;
}();
static std::vector<std::unique_ptr<int>> early_vec(500);

static uint64_t work(int seed) {
  uint64_t sum = 0;
  for (int round = 0; round < 50; round++) {
    std::unordered_map<std::string, std::vector<int>> m;
    for (int i = 0; i < 400; i++) {
      std::string k = "k" + std::to_string((i * 7919 + seed) % 1000);
      m[k].push_back(i + round);
    }
    std::vector<std::string> keys;
    for (auto& kv : m) keys.push_back(kv.first + ":" + std::to_string(kv.second.size()));
    for (auto& k : keys) sum += k.size() * 31 + (unsigned char)k[1];
  }
  return sum;
}

int main() {
  uint64_t total = early_map.size() + early_map[999].size() + early_vec.size();
  std::vector<std::thread> threads;
  std::vector<uint64_t> sums(8);
  for (int t = 0; t < 8; t++) threads.emplace_back([t, &sums] { sums[t] = work(t); });
  for (auto& th : threads) th.join();
  for (auto s : sums) total += s;
  std::printf("threads.cpp checksum %llu\n", (unsigned long long)total);
  return 0;
}
