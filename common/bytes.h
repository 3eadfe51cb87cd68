// Bytes: an immutable byte buffer that owns its storage, either a std::string or a buffer adopted
// from elsewhere (a received ZeroMQ message) together with what frees it. An image body can so go
// from the master's socket to its file without being copied. Copying a Bytes copies the bytes.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace zfan {

class Bytes {
 public:
  Bytes() = default;
  Bytes(std::string bytes) : string_(std::move(bytes)) {}  // NOLINT: a string is bytes
  Bytes(const char* text) : string_(text) {}               // NOLINT

  // Takes `owner`, which keeps [data, data + size) alive until `release(owner)` is called.
  static Bytes Adopt(const void* data, size_t size, void* owner, void (*release)(void*)) {
    Bytes b;
    b.adopted_ = {static_cast<const char*>(data), size};
    b.owner_ = Owner(owner, release);
    return b;
  }

  Bytes(const Bytes& other) : string_(other.view()) {}
  Bytes& operator=(const Bytes& other) {
    if (this != &other) *this = Bytes(other);
    return *this;
  }
  Bytes(Bytes&&) noexcept = default;
  Bytes& operator=(Bytes&&) noexcept = default;

  const char* data() const { return owner_ ? adopted_.data() : string_.data(); }
  size_t size() const { return owner_ ? adopted_.size() : string_.size(); }
  bool empty() const { return size() == 0; }
  std::string_view view() const { return owner_ ? adopted_ : std::string_view(string_); }
  operator std::string_view() const { return view(); }  // NOLINT: bytes are viewable

  // The bytes as a std::string: moved out if held as one, copied if adopted.
  std::string TakeString() && {
    if (!owner_) return std::move(string_);
    std::string copy(adopted_);
    *this = Bytes();
    return copy;
  }

  friend bool operator==(const Bytes& a, const Bytes& b) { return a.view() == b.view(); }
  friend bool operator==(const Bytes& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const Bytes& a, const std::string& b) { return a.view() == b; }
  friend bool operator==(const Bytes& a, const char* b) { return a.view() == b; }

 private:
  using Owner = std::unique_ptr<void, void (*)(void*)>;
  std::string string_;
  std::string_view adopted_;
  Owner owner_{nullptr, nullptr};
};

}  // namespace zfan
