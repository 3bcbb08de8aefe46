// tinybert/core/error.hpp: the one exception type and the checked-condition macro.
// Every recoverable failure (bad file, bad shape, bad option) throws tinybert::Error with a message that names
// where it happened: the file and position for input errors, the source file:line for broken invariants.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace tinybert {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {

template <class... Args>
std::string concat(Args&&... args) {
    std::ostringstream os;
    (os << ... << std::forward<Args>(args));
    return os.str();
}

[[noreturn]] inline void fail_at(const char* file, int line, const std::string& msg) {
    throw Error(concat(msg, " [", file, ":", line, "]"));
}

}  // namespace detail

// Throw tinybert::Error(msg) unless cond. The message parts are streamed: TINYBERT_CHECK(n > 0, "n = ", n).
#define TINYBERT_CHECK(cond, ...)                                                                       \
    do {                                                                                                \
        if (!(cond)) ::tinybert::detail::fail_at(__FILE__, __LINE__, ::tinybert::detail::concat(__VA_ARGS__)); \
    } while (0)

// Throw tinybert::Error(msg) unconditionally, with file:line of the throw site.
#define TINYBERT_FAIL(...) ::tinybert::detail::fail_at(__FILE__, __LINE__, ::tinybert::detail::concat(__VA_ARGS__))

}  // namespace tinybert
