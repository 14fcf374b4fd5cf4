// Kafka's framing: every request and response is an int32 size followed by that many bytes.
//
// `frame_reader` splits a byte stream into frames without knowing where the bytes come from: the I/O layer asks
// for writable space with prepare(), reads into it, commit()s what arrived, then takes complete frames with next().
// Reading straight into prepare()'s span avoids a copy per read. A size prefix above `max_frame_size` (or
// negative) is an error before anything is allocated for it, so a peer cannot make us buffer an absurd frame.
#pragma once

#include <kafkio/protocol/wire.hpp>

#include <algorithm>
#include <cstring>

namespace kafkio::protocol {

class frame_reader {
 public:
  static constexpr std::size_t default_max_frame_size = 100 * 1024 * 1024;  // broker's socket.request.max.bytes

  explicit frame_reader(std::size_t max_frame_size = default_max_frame_size) : max_(max_frame_size) {}

  // Writable space for at least `min_size` bytes (more if a pending frame needs it). Moves unread bytes to the
  // front first, so the buffer only grows to the largest frame seen plus `min_size`.
  std::span<std::uint8_t> prepare(std::size_t min_size = 16 * 1024) {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    std::size_t want = std::max(end_ + min_size, std::min(pending_frame_total(), end_ + max_ + 4));
    if (buf_.size() < want) buf_.resize(want);
    return {buf_.data() + end_, buf_.size() - end_};
  }
  void commit(std::size_t n) noexcept { end_ += std::min(n, buf_.size() - end_); }
  void feed(bytes_view chunk) {
    auto space = prepare(chunk.size());
    std::memcpy(space.data(), chunk.data(), chunk.size());
    commit(chunk.size());
  }

  enum class status { need_more, frame, error };

  // The next complete frame's payload (without the size prefix). The view stays valid until the next prepare() or
  // feed(). After an error the stream is unusable (the framing is lost); the caller closes the connection.
  status next(bytes_view& frame, std::error_code& ec) noexcept {
    if (ec_) return ec = ec_, status::error;
    if (end_ - begin_ < 4) return status::need_more;
    const std::uint8_t* p = buf_.data() + begin_;
    std::size_t size = 0;
    if (auto e = check_size(p, size)) return ec = ec_ = e, status::error;
    if (end_ - begin_ < 4 + size) return status::need_more;
    frame = bytes_view(p + 4, size);
    begin_ += 4 + size;
    if (begin_ == end_) begin_ = end_ = 0;
    return status::frame;
  }

  // Splits `data` (bytes just read, in a buffer the caller owns) into frames and calls on_frame(payload) for each
  // complete one, in order, until it returns false (the consumer closed the stream; the rest is dropped). When
  // nothing is buffered, complete frames are handed out straight from `data`, so the common case copies nothing;
  // an incomplete tail is kept for the next call. Returns the framing error, if any (then the stream is unusable).
  template <class OnFrame>
  std::error_code consume(bytes_view data, OnFrame&& on_frame) {
    if (ec_) return ec_;
    if (buffered() > 0) {  // a frame begun in an earlier read: complete it in the buffer
      feed(data);
      bytes_view frame;
      std::error_code ec;
      for (;;) {
        auto st = next(frame, ec);
        if (st == status::error) return ec;
        if (st == status::need_more || !on_frame(frame)) return {};
      }
    }
    while (data.size() >= 4) {
      std::size_t size = 0;
      if (auto ec = check_size(data.data(), size)) return ec_ = ec;
      if (data.size() - 4 < size) break;
      auto frame = data.subspan(4, size);
      data = data.subspan(4 + size);
      if (!on_frame(frame)) return {};
    }
    if (!data.empty()) feed(data);
    return {};
  }

  std::size_t buffered() const noexcept { return end_ - begin_; }
  std::size_t capacity() const noexcept { return buf_.size(); }
  std::size_t max_frame_size() const noexcept { return max_; }

 private:
  // The size prefix at `p` (4 bytes): negative or above max_frame_size is an error, decided before any allocation.
  std::error_code check_size(const std::uint8_t* p, std::size_t& size) const noexcept {
    auto s = static_cast<std::int32_t>((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                       (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]});
    if (s < 0) return make_error_code(client_errc::malformed_length);
    if (static_cast<std::size_t>(s) > max_) return make_error_code(client_errc::frame_too_large);
    size = static_cast<std::size_t>(s);
    return {};
  }

  // Total bytes (prefix included) of the frame at the front, if its prefix has arrived and is sane; else 0.
  std::size_t pending_frame_total() const noexcept {
    if (end_ - begin_ < 4) return 0;
    const std::uint8_t* p = buf_.data() + begin_;
    auto size = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    return size <= max_ ? begin_ + 4 + size : 0;
  }

  byte_buffer buf_;
  std::size_t begin_ = 0, end_ = 0;
  std::size_t max_;
  std::error_code ec_;
};

}  // namespace kafkio::protocol
