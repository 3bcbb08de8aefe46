// apps/tinybert/args.hpp: the command-line flags of one subcommand: `--name value` pairs and `--flag` switches.
// Unknown or missing flags are errors that print the subcommand's usage.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "tinybert/core/error.hpp"

namespace tinybert::cli {

class Args {
public:
    // argv[0] is the subcommand name; `usage` is shown with every error.
    Args(int argc, char** argv, std::string usage) : usage_(std::move(usage)) {
        for (int i = 1; i < argc; ++i) {
            const std::string_view a = argv[i];
            TINYBERT_CHECK(a.starts_with("--"), "unexpected argument '", a, "'\nusage: ", usage_);
            if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--")) {
                values_[std::string(a)] = argv[++i];
            } else {
                values_[std::string(a)] = "";
                switches_.insert(std::string(a));
            }
        }
    }

    std::string required(const std::string& name) {
        used_.insert(name);
        const auto it = values_.find(name);
        TINYBERT_CHECK(it != values_.end() && !switches_.count(name), "missing ", name, " VALUE\nusage: ", usage_);
        return it->second;
    }
    std::string value(const std::string& name, const std::string& fallback) {
        used_.insert(name);
        const auto it = values_.find(name);
        if (it == values_.end()) return fallback;
        TINYBERT_CHECK(!switches_.count(name), name, " needs a value\nusage: ", usage_);
        return it->second;
    }
    long long integer(const std::string& name, long long fallback) {
        const std::string v = value(name, "");
        if (v.empty()) return fallback;
        char* end = nullptr;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        TINYBERT_CHECK(end && *end == '\0', name, " needs an integer, got '", v, "'");
        return x;
    }
    // A non-negative integer (a size or a count).
    std::size_t count(const std::string& name, std::size_t fallback) {
        const long long x = integer(name, static_cast<long long>(fallback));
        TINYBERT_CHECK(x >= 0, name, " needs a non-negative integer, got ", x);
        return static_cast<std::size_t>(x);
    }
    double number(const std::string& name, double fallback) {
        const std::string v = value(name, "");
        if (v.empty()) return fallback;
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        TINYBERT_CHECK(end && *end == '\0', name, " needs a number, got '", v, "'");
        return x;
    }
    bool flag(const std::string& name) {
        used_.insert(name);
        const auto it = values_.find(name);
        TINYBERT_CHECK(it == values_.end() || switches_.count(name), name, " takes no value\nusage: ", usage_);
        return it != values_.end();
    }
    // Every given flag must have been asked for.
    void finish() const {
        for (const auto& [name, v] : values_)
            TINYBERT_CHECK(used_.count(name), "unknown option ", name, "\nusage: ", usage_);
    }

private:
    std::string usage_;
    std::map<std::string, std::string> values_;
    std::set<std::string> switches_;
    std::set<std::string> used_;
};

}  // namespace tinybert::cli
