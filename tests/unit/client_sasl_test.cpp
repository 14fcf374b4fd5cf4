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

// RFC 5802, section 3: SaltedPassword may be cached. A producer's connections share one scram_key_cache, so the
// PBKDF2 rounds (milliseconds on the loop) run once per salt, not once per connection, and the proof is the same.
TEST(Sasl, ScramKeysAreDerivedOncePerSalt) {
  const std::string server_first =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  const std::string rfc_final =
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  kafkio::core::scram_key_cache keys;
  for (int connection = 0; connection < 3; ++connection) {
    sasl_client c(kafkio::sasl_mechanism_type::scram_sha_256, "user", "pencil", &keys);
    c.set_client_nonce("rOprNGfwEbeRWgbNEkqO");
    c.first_message();
    auto final_message = c.next(server_first);
    ASSERT_TRUE(final_message);
    EXPECT_EQ(*final_message, rfc_final) << "connection " << connection;
    EXPECT_FALSE(c.next("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
    EXPECT_TRUE(c.done()) << c.error_text();
  }
  EXPECT_EQ(keys.derivations(), 1u);

  // Another salt (the credentials were reset) or iteration count is another key.
  sasl_client other(kafkio::sasl_mechanism_type::scram_sha_256, "user", "pencil", &keys);
  other.set_client_nonce("abc");
  other.first_message();
  ASSERT_TRUE(other.next("r=abcdef,s=QUJDRA==,i=4096"));
  sasl_client more_rounds(kafkio::sasl_mechanism_type::scram_sha_256, "user", "pencil", &keys);
  more_rounds.set_client_nonce("abc");
  more_rounds.first_message();
  ASSERT_TRUE(more_rounds.next("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=8192"));
  EXPECT_EQ(keys.derivations(), 3u);
  // ... and SHA-512 with the same salt is another key too.
  sasl_client sha512(kafkio::sasl_mechanism_type::scram_sha_512, "user", "pencil", &keys);
  sha512.set_client_nonce("abc");
  sha512.first_message();
  ASSERT_TRUE(sha512.next("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
  EXPECT_EQ(keys.derivations(), 4u);
}
