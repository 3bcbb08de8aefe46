// tinybert/io/json.hpp: an owned JSON tree, parsed with simdjson (the only simdjson include) and written back.
// Used for config.json, tokenizer files, SQuAD JSON and JSONL records. Parse errors name the source and the
// line:column (1-based) where simdjson stopped.
#pragma once

#include "tinybert/core/simd.hpp"  // first: before Eigen or simdjson pull in the intrinsics
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/io/limits.hpp"

namespace tinybert::json {

class Value;
using Array = std::vector<Value>;
using Object = std::vector<std::pair<std::string, Value>>;  // keeps the file's key order

class Value {
public:
    Value() = default;                                   // null
    Value(std::nullptr_t) {}                             // NOLINT: implicit on purpose, as JSON literals
    Value(bool b) : v_(b) {}                             // NOLINT
    Value(int v) : v_(std::int64_t{v}) {}                // NOLINT
    Value(std::int64_t v) : v_(v) {}                     // NOLINT
    Value(double v) : v_(v) {}                           // NOLINT
    Value(const char* s) : v_(std::string(s)) {}         // NOLINT
    Value(std::string s) : v_(std::move(s)) {}           // NOLINT
    Value(Array a) : v_(std::make_shared<Array>(std::move(a))) {}    // NOLINT
    Value(Object o) : v_(std::make_shared<Object>(std::move(o))) {}  // NOLINT

    bool is_null() const { return v_.index() == 0; }
    bool is_bool() const { return v_.index() == 1; }
    bool is_int() const { return v_.index() == 2; }
    bool is_number() const { return v_.index() == 2 || v_.index() == 3; }
    bool is_string() const { return v_.index() == 4; }
    bool is_array() const { return v_.index() == 5; }
    bool is_object() const { return v_.index() == 6; }

    bool as_bool() const { return get<bool>("a boolean"); }
    std::int64_t as_int() const {
        if (v_.index() == 3) {
            const double d = std::get<double>(v_);
            TINYBERT_CHECK(std::floor(d) == d && std::fabs(d) < 9.2e18, "JSON: expected an integer, got ", d);
            return static_cast<std::int64_t>(d);
        }
        return get<std::int64_t>("an integer");
    }
    double as_double() const {
        if (v_.index() == 2) return static_cast<double>(std::get<std::int64_t>(v_));
        return get<double>("a number");
    }
    const std::string& as_string() const { return get<std::string>("a string"); }
    const Array& as_array() const { return *get<std::shared_ptr<Array>>("an array"); }
    const Object& as_object() const { return *get<std::shared_ptr<Object>>("an object"); }

    // Member lookup on an object: nullptr when absent (or when this is not an object).
    const Value* find(std::string_view key) const {
        if (!is_object()) return nullptr;
        for (const auto& [k, v] : as_object())
            if (k == key) return &v;
        return nullptr;
    }
    // Member lookup that must succeed.
    const Value& at(std::string_view key) const {
        const Value* v = find(key);
        TINYBERT_CHECK(v != nullptr, "JSON: missing key \"", key, "\"");
        return *v;
    }

    const char* kind_name() const {
        static constexpr const char* names[] = {"null", "boolean", "integer", "number", "string", "array", "object"};
        return names[v_.index()];
    }

    // Compact JSON (indent < 0) or pretty-printed with `indent` spaces per level.
    std::string dump(int indent = -1) const {
        std::string out;
        dump_to(out, indent, 0);
        return out;
    }

private:
    template <class X>
    const X& get(const char* what) const {
        const X* p = std::get_if<X>(&v_);
        TINYBERT_CHECK(p != nullptr, "JSON: expected ", what, ", got ", kind_name());
        return *p;
    }

    void dump_to(std::string& out, int indent, int level) const;

    std::variant<std::monostate, bool, std::int64_t, double, std::string, std::shared_ptr<Array>,
                 std::shared_ptr<Object>>
        v_;
};

// JSON string literal with the escapes JSON requires; other UTF-8 (including U+2028/2029) passes through as is.
inline void write_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
}

// Shortest text that reads back as the same double (finite only; JSON has no NaN/Inf, so those become null).
inline void write_number(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    char buf[32];
    for (int prec = 15; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (std::strtod(buf, nullptr) == d) break;
    }
    out += buf;
}

inline void Value::dump_to(std::string& out, int indent, int level) const {
    auto newline = [&](int lvl) {
        if (indent < 0) return;
        out += '\n';
        out.append(static_cast<std::size_t>(indent * lvl), ' ');
    };
    switch (v_.index()) {
        case 0: out += "null"; break;
        case 1: out += std::get<bool>(v_) ? "true" : "false"; break;
        case 2: out += std::to_string(std::get<std::int64_t>(v_)); break;
        case 3: write_number(out, std::get<double>(v_)); break;
        case 4: write_string(out, std::get<std::string>(v_)); break;
        case 5: {
            const Array& a = as_array();
            out += '[';
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (i) out += indent < 0 ? "," : ",";
                newline(level + 1);
                a[i].dump_to(out, indent, level + 1);
            }
            if (!a.empty()) newline(level);
            out += ']';
            break;
        }
        default: {
            const Object& o = as_object();
            out += '{';
            for (std::size_t i = 0; i < o.size(); ++i) {
                if (i) out += ",";
                newline(level + 1);
                write_string(out, o[i].first);
                out += indent < 0 ? ":" : ": ";
                o[i].second.dump_to(out, indent, level + 1);
            }
            if (!o.empty()) newline(level);
            out += '}';
        }
    }
}

namespace detail {

inline std::string line_col(std::string_view text, std::size_t offset) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return tinybert::detail::concat("line ", line, ", column ", col);
}

class Builder {
public:
    Builder(std::string_view text, const std::string& source) : text_(text), source_(source) {}

    Value build(simdjson::ondemand::document& doc) {
        doc_ = &doc;
        simdjson::ondemand::value root;
        // A scalar document cannot be read as a value in ondemand; handle it separately.
        bool scalar = false;
        check(doc.is_scalar().get(scalar));
        Value v;
        if (scalar) {
            v = scalar_of(doc);
        } else {
            check(doc.get_value().get(root));
            v = build(root, 0);
        }
        const char* rest = nullptr;
        if (doc.current_location().get(rest) == simdjson::SUCCESS) fail("trailing content after the JSON value");
        return v;
    }

private:
    static constexpr int max_depth = 512;

    [[noreturn]] void fail(const std::string& why) {
        std::string where = "end of input";
        const char* loc = nullptr;
        if (doc_ && doc_->current_location().get(loc) == simdjson::SUCCESS && loc >= text_.data() &&
            loc <= text_.data() + text_.size())
            where = line_col(text_, static_cast<std::size_t>(loc - text_.data()));
        throw Error(tinybert::detail::concat(source_, ": invalid JSON at ", where, ": ", why));
    }
    void check(simdjson::error_code e) {
        if (e != simdjson::SUCCESS) fail(simdjson::error_message(e));
    }

    template <class Src>
    Value scalar_of(Src& src) {
        simdjson::ondemand::json_type t{};
        check(src.type().get(t));
        switch (t) {
            case simdjson::ondemand::json_type::null: {
                bool is_null = false;
                check(src.is_null().get(is_null));
                if (!is_null) fail("bad literal");
                return Value();
            }
            case simdjson::ondemand::json_type::boolean: {
                bool b = false;
                check(src.get_bool().get(b));
                return Value(b);
            }
            case simdjson::ondemand::json_type::number: {
                simdjson::ondemand::number_type nt{};
                check(src.get_number_type().get(nt));
                if (nt == simdjson::ondemand::number_type::signed_integer) {
                    std::int64_t i = 0;
                    check(src.get_int64().get(i));
                    return Value(i);
                }
                double d = 0;
                check(src.get_double().get(d));
                return Value(d);
            }
            case simdjson::ondemand::json_type::string: {
                std::string_view s;
                check(src.get_string().get(s));
                return Value(std::string(s));
            }
            default: fail("unexpected value type");
        }
    }

    Value build(simdjson::ondemand::value v, int depth) {
        if (depth > max_depth) fail("nesting deeper than 512 levels");
        simdjson::ondemand::json_type t{};
        check(v.type().get(t));
        if (t == simdjson::ondemand::json_type::array) {
            simdjson::ondemand::array arr;
            check(v.get_array().get(arr));
            Array out;
            for (auto item : arr) {
                simdjson::ondemand::value iv;
                check(item.get(iv));
                out.push_back(build(iv, depth + 1));
            }
            return Value(std::move(out));
        }
        if (t == simdjson::ondemand::json_type::object) {
            simdjson::ondemand::object obj;
            check(v.get_object().get(obj));
            Object out;
            for (auto field : obj) {
                std::string_view key;
                check(field.unescaped_key().get(key));
                std::string k(key);
                simdjson::ondemand::value fv;
                check(field.value().get(fv));
                out.emplace_back(std::move(k), build(fv, depth + 1));
            }
            return Value(std::move(out));
        }
        return scalar_of(v);
    }

    std::string_view text_;
    const std::string& source_;
    simdjson::ondemand::document* doc_ = nullptr;
};

}  // namespace detail

// Parse one JSON document. `source` names it in error messages (a path, or "path:line" for JSONL).
inline Value parse(std::string_view text, const std::string& source = "<json>") {
    TINYBERT_CHECK(text.size() <= max_json_document_bytes, source, ": JSON document of ", text.size(),
                   " bytes is larger than the limit of ", max_json_document_bytes, " bytes (1 GiB)");
    simdjson::padded_string padded(text);
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    const auto err = parser.iterate(padded).get(doc);
    if (err != simdjson::SUCCESS) throw Error(tinybert::detail::concat(source, ": invalid JSON: ", simdjson::error_message(err)));
    // Locations are reported against the padded copy, which has the same bytes as `text`.
    return detail::Builder(std::string_view(padded.data(), padded.size()), source).build(doc);
}

// Whole file as bytes; a missing or unreadable file, or one of more than `max_bytes` bytes (`what` says whose limit
// that is), is an Error naming it, raised before anything is read.
inline std::string read_file(const std::string& path, std::uint64_t max_bytes = UINT64_MAX,
                             const char* what = "a file") {
    std::ifstream in(path, std::ios::binary);
    TINYBERT_CHECK(in.good(), path, ": cannot open file");
    const std::streamoff size = in.seekg(0, std::ios::end).tellg();  // -1 for a pipe: nothing to check up front
    TINYBERT_CHECK(size < 0 || static_cast<std::uint64_t>(size) <= max_bytes, path, ": file of ", size,
                   " bytes is larger than the limit of ", max_bytes, " bytes for ", what);
    in.clear();
    in.seekg(0);
    std::ostringstream ss;
    ss << in.rdbuf();
    TINYBERT_CHECK(!in.bad(), path, ": read error");
    return ss.str();
}

inline Value parse_file(const std::string& path) {
    return parse(read_file(path, max_json_document_bytes, "a JSON document (1 GiB)"), path);
}

}  // namespace tinybert::json
