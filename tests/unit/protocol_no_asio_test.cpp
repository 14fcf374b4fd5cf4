// kafkio::protocol must stay free of Asio and Boost: it is the I/O-free layer (parsers, codecs) that tools, fuzzers
// and other I/O stacks can use alone. This scans the source tree (found relative to this file) for includes of
// either, and the protocol CMake target for Boost links.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path protocol_dir() { return fs::path(__FILE__).parent_path().parent_path().parent_path() / "protocol"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// True for `#include <boost/...>`, `# include "asio.hpp"` and the like (case-insensitive). Hand-rolled rather than
// std::regex, which trips GCC 12's -Wmaybe-uninitialized under the sanitizers.
bool includes_asio_or_boost(std::string_view line) {
  auto skip_space = [&](std::size_t i) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    return i;
  };
  auto i = skip_space(0);
  if (i >= line.size() || line[i] != '#') return false;
  i = skip_space(i + 1);
  if (line.substr(i, 7) != "include") return false;
  i = skip_space(i + 7);
  if (i >= line.size() || (line[i] != '<' && line[i] != '"')) return false;
  i = skip_space(i + 1);
  std::string rest;
  for (char c : line.substr(i)) rest += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view name : {"boost", "asio"}) {
    if (rest.compare(0, name.size(), name) != 0) continue;
    char after = rest.size() > name.size() ? rest[name.size()] : '\0';
    if (after == '/' || after == '.' || after == '>' || after == '"') return true;
  }
  return false;
}

bool is_cpp_source(const fs::path& p) {
  static const std::vector<std::string> exts = {".hpp", ".ipp", ".cpp", ".h", ".hh", ".cc", ".cxx", ".inl"};
  return std::find(exts.begin(), exts.end(), p.extension().string()) != exts.end();
}

}  // namespace

TEST(ProtocolNoAsio, NoAsioOrBoostIncludeUnderProtocol) {
  const auto root = protocol_dir();
  ASSERT_TRUE(fs::is_directory(root)) << root << " not found; is __FILE__ an absolute path?";
  std::size_t scanned = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || !is_cpp_source(entry.path())) continue;
    ++scanned;
    std::istringstream lines(read_file(entry.path()));
    std::string line;
    for (int n = 1; std::getline(lines, line); ++n)
      EXPECT_FALSE(includes_asio_or_boost(line)) << entry.path().string() << ":" << n << ": " << line;
  }
  // wire.hpp, the generated messages, request.hpp...: a scan that found nothing would prove nothing.
  EXPECT_GT(scanned, 20u);
}

TEST(ProtocolNoAsio, ProtocolTargetDoesNotLinkBoost) {
  auto cmake = read_file(protocol_dir() / "CMakeLists.txt");
  ASSERT_FALSE(cmake.empty());
  EXPECT_EQ(cmake.find("Boost"), std::string::npos);
  EXPECT_EQ(cmake.find("asio"), std::string::npos);
}

TEST(ProtocolNoAsio, TheScanWouldCatchAnInclude) {
  EXPECT_TRUE(includes_asio_or_boost("#include <boost/asio.hpp>"));
  EXPECT_TRUE(includes_asio_or_boost("  #  include \"asio/ip/tcp.hpp\""));
  EXPECT_TRUE(includes_asio_or_boost("#include <asio.hpp>"));
  EXPECT_TRUE(includes_asio_or_boost("#include <Boost/system/error_code.hpp>"));
  EXPECT_FALSE(includes_asio_or_boost("#include <kafkio/protocol/wire.hpp>"));
  EXPECT_FALSE(includes_asio_or_boost("#include <boosted.hpp>"));
  EXPECT_FALSE(includes_asio_or_boost("// #include <boost/asio.hpp> is not allowed here"));
}
