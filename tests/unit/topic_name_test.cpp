// kafkio::validate_topic_name against Kafka's rule (org.apache.kafka.common.internals.Topic.validate): the names
// of Kafka's own TopicTest (valid and invalid), the length limit on both sides, and the error it gives.
#include <kafkio/topic_name.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kafkio {
namespace {

TEST(TopicName, KafkasValidNamesPass) {
  const std::vector<std::string> valid{"valid", "TOPIC", "nAmEs", "ar6", "VaL1d", "_0-9_.", "...", "-",
                                       "__consumer_offsets", std::string(max_topic_name_length, 'x')};
  for (const auto& name : valid) EXPECT_FALSE(validate_topic_name(name)) << name;
}

TEST(TopicName, KafkasInvalidNamesFailWithTheirOwnError) {
  const std::vector<std::string> invalid{"", ".", "..", "foo bar", "foo:bar", "foo=bar", "a/b", "tab\t", "ünïcode", "x!",
                                         std::string(max_topic_name_length + 1, 'x'), std::string("nul\0byte", 8)};
  for (const auto& name : invalid) {
    const auto ec = validate_topic_name(name);
    EXPECT_EQ(ec, client_errc::invalid_topic_name) << "'" << name << "'";
    EXPECT_NE(ec.message().find("invalid topic name"), std::string::npos) << ec.message();
    EXPECT_NE(ec.message().find("249"), std::string::npos) << ec.message();  // the message states the rule
  }
}

// Every byte outside [a-zA-Z0-9._-] is refused on its own, and every byte inside it is accepted.
TEST(TopicName, EachByteAloneFollowsTheRule) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                       c == '-' || c == '.';
    const std::string name = std::string("ok") + c + "ok";
    EXPECT_EQ(!validate_topic_name(name), legal) << "byte " << b;
  }
}

}  // namespace
}  // namespace kafkio
