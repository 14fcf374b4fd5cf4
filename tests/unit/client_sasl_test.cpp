// SASL mechanisms: RFC 7677's SCRAM-SHA-256 exchange, PLAIN's message, base64, and refusals.
#include <kafkio/core/sasl.hpp>

#include <gtest/gtest.h>

using kafkio::core::sasl_client;

TEST(Sasl, ScramSha256Rfc7677Vector) {
  sasl_client c(kafkio::sasl_mechanism_type::scram_sha_256, "user", "pencil");
  c.set_client_nonce("rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(c.first_message(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  auto final_message =
      c.next("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  ASSERT_TRUE(final_message);
  EXPECT_EQ(*final_message,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_FALSE(c.next("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(c.error());
}

TEST(Sasl, ScramRejectsForgedServerSignature) {
  sasl_client c(kafkio::sasl_mechanism_type::scram_sha_256, "user", "pencil");
  c.set_client_nonce("rOprNGfwEbeRWgbNEkqO");
  c.first_message();
  ASSERT_TRUE(c.next("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
  EXPECT_FALSE(c.next("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  EXPECT_EQ(c.error(), kafkio::client_errc::authentication_failed);
  EXPECT_FALSE(c.done());
}

TEST(Sasl, ScramRejectsBadServerFirst) {
  for (const char* server : {"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",   // nonce not ours
                             "r=abcX,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000",           // too few iterations
                             "r=abcX,s=!!!,i=4096",                                 // salt not base64
                             "e=unknown-user", "garbage"}) {
    sasl_client c(kafkio::sasl_mechanism_type::scram_sha_512, "u", "p");
    c.set_client_nonce("abc");
    c.first_message();
    EXPECT_FALSE(c.next(server)) << server;
    EXPECT_EQ(c.error(), kafkio::client_errc::authentication_failed) << server;
    EXPECT_FALSE(c.error_text().empty());
  }
}

TEST(Sasl, PlainMessage) {
  sasl_client c(kafkio::sasl_mechanism_type::plain, "alice", "alice-secret");
  EXPECT_EQ(c.first_message(), std::string("\0alice\0alice-secret", 19));
  EXPECT_FALSE(c.next(""));
  EXPECT_TRUE(c.done());
}

TEST(Sasl, Base64RoundTrip) {
  using kafkio::core::base64_decode;
  using kafkio::core::base64_encode;
  EXPECT_EQ(base64_encode("n,,"), "biws");
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_FALSE(base64_decode("abc"));
  EXPECT_FALSE(base64_decode("a=bc"));
}
