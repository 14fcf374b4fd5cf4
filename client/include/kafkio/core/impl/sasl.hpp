// Definitions for core/sasl.hpp.
#pragma once

#include <array>

namespace kafkio::core {

inline std::string sasl_client::hmac(std::string_view key, std::string_view data) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  HMAC(digest(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out.data(), &len);
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

inline std::string sasl_client::hash(std::string_view data) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, digest(), nullptr);
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

inline std::string sasl_client::first_message() {
  if (mechanism_ == sasl_mechanism_type::plain) {
    state_ = state::sent_final;
    return std::string("\0", 1) + user_ + std::string("\0", 1) + password_;  // authzid empty
  }
  if (mechanism_ == sasl_mechanism_type::oauthbearer) {
    state_ = state::sent_final;
    return password_;  // the initial client response, made by oauthbearer()
  }
  if (client_nonce_.empty()) {
    std::array<unsigned char, 24> random{};
    RAND_bytes(random.data(), static_cast<int>(random.size()));
    client_nonce_ = base64_encode(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
  }
  std::string name;  // saslname: ',' and '=' escaped (RFC 5802 §5.1)
  for (char c : user_) name += c == ',' ? "=2C" : c == '=' ? "=3D" : std::string(1, c);
  client_first_bare_ = "n=" + name + ",r=" + client_nonce_;
  state_ = state::sent_first;
  return "n,," + client_first_bare_;
}

inline std::optional<std::string> sasl_client::next(std::string_view server) {
  auto attribute = [&](char key) -> std::optional<std::string_view> {
    for (std::size_t pos = 0; pos < server.size();) {
      auto end = server.find(',', pos);
      if (end == std::string_view::npos) end = server.size();
      if (end - pos >= 2 && server[pos] == key && server[pos + 1] == '=') return server.substr(pos + 2, end - pos - 2);
      pos = end + 1;
    }
    return std::nullopt;
  };
  switch (state_) {
    case state::sent_first: {
      auto nonce = attribute('r');
      auto salt = attribute('s');
      auto iterations_text = attribute('i');
      if (auto e = attribute('e')) return fail("server refused: " + std::string(*e));
      if (!nonce || !salt || !iterations_text) return fail("malformed server-first-message");
      if (nonce->substr(0, client_nonce_.size()) != client_nonce_ || nonce->size() <= client_nonce_.size())
        return fail("server nonce does not extend ours");
      int iterations = 0;
      for (char c : *iterations_text) {
        if (c < '0' || c > '9' || iterations > 1000000) return fail("bad iteration count");
        iterations = iterations * 10 + (c - '0');
      }
      if (iterations < 4096) return fail("iteration count below 4096");
      auto salt_bytes = base64_decode(*salt);
      if (!salt_bytes) return fail("salt is not base64");
      std::string salted_password;
      if (const auto* known = keys_ ? keys_->find(mechanism_, *salt_bytes, iterations) : nullptr) {
        salted_password = *known;
      } else {
        std::array<unsigned char, EVP_MAX_MD_SIZE> salted{};
        const auto md_size = static_cast<std::size_t>(EVP_MD_get_size(digest()));
        PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                          reinterpret_cast<const unsigned char*>(salt_bytes->data()),
                          static_cast<int>(salt_bytes->size()), iterations, digest(), static_cast<int>(md_size),
                          salted.data());
        salted_password.assign(reinterpret_cast<const char*>(salted.data()), md_size);
        OPENSSL_cleanse(salted.data(), salted.size());
        if (keys_) keys_->store(mechanism_, *salt_bytes, iterations, salted_password);
      }
      auto client_key = hmac(salted_password, "Client Key");
      auto stored_key = hash(client_key);
      std::string without_proof = "c=biws,r=" + std::string(*nonce);  // biws = base64("n,,")
      std::string auth_message = client_first_bare_ + "," + std::string(server) + "," + without_proof;
      auto signature = hmac(stored_key, auth_message);
      std::string proof = client_key;
      for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
      expected_server_signature_ = hmac(hmac(salted_password, "Server Key"), auth_message);
      state_ = state::sent_final;
      return without_proof + ",p=" + base64_encode(proof);
    }
    case state::sent_final: {
      if (mechanism_ == sasl_mechanism_type::plain) {
        state_ = state::done;
        return std::nullopt;
      }
      if (mechanism_ == sasl_mechanism_type::oauthbearer) {
        if (server.empty()) {
          state_ = state::done;
          return std::nullopt;
        }
        // RFC 7628 §3.2.2: a refused token comes back as a JSON error; the client answers %x01 and the server then
        // fails the exchange (Kafka puts its reason in SaslAuthenticate's error_message). Kept for the message.
        oauth_error_ = std::string(server.substr(0, 512));
        state_ = state::sent_error_ack;
        return std::string("\x01");
      }
      if (auto e = attribute('e')) return fail("server refused: " + std::string(*e));
      auto verifier = attribute('v');
      auto decoded = verifier ? base64_decode(*verifier) : std::nullopt;
      if (!decoded || *decoded != expected_server_signature_) return fail("server signature does not verify");
      state_ = state::done;
      return std::nullopt;
    }
    case state::sent_error_ack: return fail("the broker refused the token: " + oauth_error_);
    default: return fail("unexpected SASL message");
  }
}

}  // namespace kafkio::core
