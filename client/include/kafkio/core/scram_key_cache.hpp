// SCRAM's salted password, derived once. PBKDF2 of the password with the broker's salt and iteration count (4096 or
// more HMAC rounds: milliseconds of CPU on the loop thread) gives the same key for every broker of a cluster, since
// the credentials live in the cluster's metadata, and for every reconnect. A producer keeps the keys it derived,
// keyed by (mechanism, salt, iterations): its password never changes, so those three decide the key (RFC 5802,
// section 3: "the client can cache SaltedPassword").
#pragma once

#include <kafkio/producer_config.hpp>

#include <openssl/crypto.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kafkio::core {

class scram_key_cache {
 public:
  scram_key_cache() = default;
  scram_key_cache(const scram_key_cache&) = delete;
  scram_key_cache& operator=(const scram_key_cache&) = delete;
  ~scram_key_cache() {
    for (auto& e : entries_) OPENSSL_cleanse(e.salted_password.data(), e.salted_password.size());
  }

  // The salted password for these parameters, or nullptr if it was never derived.
  const std::string* find(sasl_mechanism_type mechanism, std::string_view salt, int iterations) const {
    for (const auto& e : entries_)
      if (e.mechanism == mechanism && e.iterations == iterations && e.salt == salt) return &e.salted_password;
    return nullptr;
  }
  void store(sasl_mechanism_type mechanism, std::string salt, int iterations, std::string salted_password) {
    ++derivations_;
    if (entries_.size() == max_entries) {  // a cluster has one salt per user; more means the credentials changed
      OPENSSL_cleanse(entries_.front().salted_password.data(), entries_.front().salted_password.size());
      entries_.erase(entries_.begin());
    }
    entries_.push_back({mechanism, std::move(salt), iterations, std::move(salted_password)});
  }
  // How many keys were derived (stored) so far.
  std::size_t derivations() const noexcept { return derivations_; }

 private:
  static constexpr std::size_t max_entries = 4;
  struct entry {
    sasl_mechanism_type mechanism;
    std::string salt;
    int iterations;
    std::string salted_password;
  };
  std::vector<entry> entries_;
  std::size_t derivations_ = 0;
};

}  // namespace kafkio::core
