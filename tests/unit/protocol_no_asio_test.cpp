// kafkio::protocol must stay free of Asio and Boost: it is the I/O-free layer (parsers, codecs) that tools, fuzzers
// and other I/O stacks can use alone. This scans the source tree (found relative to this file) for includes of
// either, and the protocol CMake target for Boost links.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
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

const std::regex& forbidden_include() {
  static const std::regex re(R"re(#\s*include\s*[<"]\s*(boost|asio)[/.>"])re", std::regex::icase);
  return re;
}

bool is_cpp_source(const fs::path& p) {
  static const std::vector<std::string> exts = {".hpp", ".ipp", ".cpp", ".h", ".hh", ".cc", ".cxx", ".inl"};
  return std::find(exts.begin(), exts.end(), p.extension().string()) != exts.end();
}

}  // namespace

TEST(ProtocolNoAsio, NoAsioOrBoostIncludeUnderProtocol) {
  const auto root = protocol_dir();
  ASSERT_TRUE(fs::is_directory(root)) << root << " not found; is __FILE__ an absolute path?";
  const auto& forbidden = forbidden_include();
  std::size_t scanned = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || !is_cpp_source(entry.path())) continue;
    ++scanned;
    std::istringstream lines(read_file(entry.path()));
    std::string line;
    for (int n = 1; std::getline(lines, line); ++n)
      EXPECT_FALSE(std::regex_search(line, forbidden)) << entry.path().string() << ":" << n << ": " << line;
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
  const auto& forbidden = forbidden_include();
  EXPECT_TRUE(std::regex_search("#include <boost/asio.hpp>", forbidden));
  EXPECT_TRUE(std::regex_search("#  include \"asio/ip/tcp.hpp\"", forbidden));
  EXPECT_TRUE(std::regex_search("#include <asio.hpp>", forbidden));
  EXPECT_FALSE(std::regex_search("#include <kafkio/protocol/wire.hpp>", forbidden));
  EXPECT_FALSE(std::regex_search("// no boost here", forbidden));
}
