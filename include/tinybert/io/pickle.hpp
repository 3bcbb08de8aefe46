// tinybert/io/pickle.hpp: a restricted pickle reader for torch.save's data.pkl (spec §8.4; CPython
// Lib/pickletools.py for the opcodes, torch/_utils.py for _rebuild_tensor_v2). It knows only the opcodes a state dict
// uses and a whitelist of GLOBALs; any other GLOBAL is an error naming it. Nothing from the file is ever executed.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tinybert/core/dtype.hpp"
#include "tinybert/core/error.hpp"
#include "tinybert/io/checkpoint_tensor.hpp"

namespace tinybert::detail::pickle {

struct Seq;
struct Dict;

// Strings are views of the pickle's bytes, which outlive the Machine and what load_state_dict returns: pushing a
// memoised string again (BINGET, one byte per copy) then copies no text, so a small file cannot make the reader
// allocate its length again for every opcode.
struct Global {  // an allowed GLOBAL, not yet applied
    std::string_view module, name;
};
struct Storage {  // a persistent id ("storage", <Type>Storage, key, location, numel)
    DType dtype;
    std::string_view key;
    std::int64_t numel;
};
struct Tensor {  // _rebuild_tensor_v2(storage, storage_offset, size, stride, ...)
    Storage storage;
    std::int64_t offset;
    std::vector<std::int64_t> size, stride;
};

// A pickle value. Containers and tensors live in the Machine's arena and are referenced by plain pointers, so
// self-referencing pickles can neither leak nor recurse.
struct Value {
    std::variant<std::monostate, bool, std::int64_t, double, std::string_view, Seq*, Dict*, Global, Storage, Tensor*> v;
    template <class X>
    const X* get() const {
        return std::get_if<X>(&v);
    }
};

struct Seq {  // tuple or list
    std::vector<Value> items;
};
struct Dict {  // dict or OrderedDict, in insertion order
    std::vector<std::pair<Value, Value>> items;
};

// The GLOBALs a state dict may reference: the dict type, the tensor rebuild functions and the storage classes.
inline bool allowed_global(std::string_view module, std::string_view name) {
    if (module == "collections") return name == "OrderedDict";
    if (module == "torch._utils")
        return name == "_rebuild_tensor_v2" || name == "_rebuild_parameter" || name == "_rebuild_parameter_with_state";
    if (module == "torch")
        return name == "FloatStorage" || name == "HalfStorage" || name == "BFloat16Storage" || name == "DoubleStorage" ||
               name == "LongStorage" || name == "IntStorage" || name == "ShortStorage" || name == "CharStorage" ||
               name == "ByteStorage" || name == "BoolStorage";
    return false;
}

inline std::optional<DType> storage_dtype(std::string_view name) {
    static const std::pair<const char*, DType> table[] = {
        {"FloatStorage", DType::f32}, {"HalfStorage", DType::f16},  {"BFloat16Storage", DType::bf16},
        {"DoubleStorage", DType::f64}, {"LongStorage", DType::i64}, {"IntStorage", DType::i32},
        {"ShortStorage", DType::i16}, {"CharStorage", DType::i8},   {"ByteStorage", DType::u8},
        {"BoolStorage", DType::boolean}};
    for (const auto& [n, t] : table)
        if (name == n) return t;
    return std::nullopt;
}

class Machine {
public:
    Machine(std::span<const std::byte> bytes, std::string where) : bytes_(bytes), where_(std::move(where)) {}

    // Runs to STOP and returns the unpickled object.
    Value run() {
        for (;;) {
            const std::size_t at = pos_;
            const auto op = u8();
            switch (op) {
                case 0x80: u8(); break;  // PROTO
                case 'c': {              // GLOBAL "module\nname\n"
                    const std::string_view module = line(), name = line();
                    check(allowed_global(module, name), "pickle references global '", module, ".", name,
                          "', which is not allowed (only torch tensor-rebuild functions, torch.*Storage and "
                          "collections.OrderedDict are)");
                    push(Value{Global{module, name}});
                    break;
                }
                case 'Q': push(persistent_load(pop())); break;  // BINPERSID
                case 'R': {                                     // REDUCE
                    Value args = pop();
                    Value fn = pop();
                    push(reduce(fn, args));
                    break;
                }
                case 'b': build(); break;
                case '}': push(Value{new_dict()}); break;
                case ']': case ')': push(Value{new_seq({})}); break;
                case '(': marks_.push_back(stack_.size()); break;
                case 't': push(Value{new_seq(pop_mark())}); break;
                case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
                    const std::size_t n = op - 0x84u;
                    check(stack_.size() >= n + base(), "stack underflow");
                    std::vector<Value> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
                    stack_.resize(stack_.size() - n);
                    push(Value{new_seq(std::move(items))});
                    break;
                }
                case 's': case 'u': {  // SETITEM, SETITEMS
                    std::vector<Value> kv = op == 's' ? pop_n(2) : pop_mark();
                    check(kv.size() % 2 == 0, "SETITEMS with an odd number of items");
                    auto* d = top().get<Dict*>();
                    check(d != nullptr, "SETITEM on a non-dict");
                    for (std::size_t i = 0; i < kv.size(); i += 2) (*d)->items.emplace_back(kv[i], kv[i + 1]);
                    break;
                }
                case 'a': case 'e': {  // APPEND, APPENDS
                    std::vector<Value> items = op == 'a' ? pop_n(1) : pop_mark();
                    auto* s = top().get<Seq*>();
                    check(s != nullptr, "APPEND on a non-list");
                    for (auto& item : items) (*s)->items.push_back(std::move(item));
                    break;
                }
                case 'J': push(Value{std::int64_t{raw<std::int32_t>()}}); break;    // BININT
                case 'K': push(Value{static_cast<std::int64_t>(u8())}); break;                   // BININT1
                case 'M': push(Value{std::int64_t{raw<std::uint16_t>()}}); break;   // BININT2
                case 0x8a: push(Value{long1()}); break;                             // LONG1
                case 'X': push(Value{take(raw<std::uint32_t>())}); break;  // BINUNICODE
                case 0x8c: push(Value{take(u8())}); break;                 // SHORT_BINUNICODE
                case 'N': push(Value{}); break;
                case 0x88: push(Value{true}); break;
                case 0x89: push(Value{false}); break;
                case 'G': {  // BINFLOAT, big-endian
                    auto bits = raw<std::uint64_t>();
                    bits = __builtin_bswap64(bits);
                    double d = 0;
                    std::memcpy(&d, &bits, sizeof d);
                    push(Value{d});
                    break;
                }
                case 'q': memo_[u8()] = top(); break;                  // BINPUT
                case 'r': memo_[raw<std::uint32_t>()] = top(); break;  // LONG_BINPUT
                case 0x94: memo_[static_cast<std::uint32_t>(memo_.size())] = top(); break;         // MEMOIZE
                case 'h': case 'j': {                                  // BINGET, LONG_BINGET
                    const std::uint32_t k = op == 'h' ? u8() : raw<std::uint32_t>();
                    const auto it = memo_.find(k);
                    check(it != memo_.end(), "memo key ", k, " not defined");
                    push(it->second);
                    break;
                }
                case '.':  // STOP
                    check(stack_.size() == 1 && marks_.empty(), "STOP with ", stack_.size(), " values on the stack");
                    return stack_.back();
                default:
                    fail("unsupported opcode 0x", hex(op), " at offset ", at,
                         " (only the opcodes of a torch.save state dict are allowed)");
            }
        }
    }

private:
    template <class... Args>
    void check(bool ok, Args&&... args) const {
        if (!ok) fail(std::forward<Args>(args)...);
    }
    template <class... Args>
    [[noreturn]] void fail(Args&&... args) const {
        TINYBERT_FAIL(where_, ": ", std::forward<Args>(args)..., " (pickle offset ", pos_, ")");
    }
    static std::string hex(unsigned v) {
        const char* d = "0123456789abcdef";
        return {d[(v >> 4) & 15u], d[v & 15u]};
    }

    std::string_view take(std::uint64_t n) {
        check(n <= bytes_.size() - pos_, "truncated pickle");
        std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }
    unsigned u8() { return static_cast<unsigned char>(take(1)[0]); }
    template <class U>
    U raw() {
        return load_unaligned<U>(reinterpret_cast<const std::byte*>(take(sizeof(U)).data()));
    }
    std::string_view line() {
        const auto rest = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_), bytes_.size() - pos_);
        const std::size_t nl = rest.find('\n');
        check(nl != std::string_view::npos && nl < 256, "unterminated GLOBAL");
        pos_ += nl + 1;
        return rest.substr(0, nl);
    }
    std::int64_t long1() {
        const unsigned n = u8();
        check(n <= 8, "LONG1 of ", n, " bytes does not fit in 64 bits");
        const std::string_view b = take(n);
        std::uint64_t u = 0;
        for (unsigned i = 0; i < n; ++i) u |= std::uint64_t{static_cast<unsigned char>(b[i])} << (8 * i);
        if (n > 0 && n < 8 && (static_cast<unsigned char>(b[n - 1]) & 0x80u)) u |= ~std::uint64_t{0} << (8 * n);
        return static_cast<std::int64_t>(u);
    }

    std::size_t base() const { return marks_.empty() ? 0 : marks_.back(); }
    void push(Value v) {
        check(stack_.size() < 1'000'000, "pickle stack too deep");
        stack_.push_back(std::move(v));
    }
    Value& top() {
        check(stack_.size() > base(), "stack underflow");
        return stack_.back();
    }
    Value pop() {
        Value v = std::move(top());
        stack_.pop_back();
        return v;
    }
    std::vector<Value> pop_n(std::size_t n) {
        check(stack_.size() >= base() + n + 1, "stack underflow");
        std::vector<Value> out(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        return out;
    }
    std::vector<Value> pop_mark() {
        check(!marks_.empty(), "no MARK on the stack");
        const std::size_t m = marks_.back();
        marks_.pop_back();
        std::vector<Value> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
        stack_.resize(m);
        return out;
    }

    const std::vector<Value>& tuple(const Value& v, const char* what) const {
        const auto* s = v.get<Seq*>();
        check(s != nullptr, what, " must be a tuple");
        return (*s)->items;
    }
    std::int64_t integer(const Value& v, const char* what) const {
        const auto* i = v.get<std::int64_t>();
        check(i != nullptr, what, " must be an integer");
        return *i;
    }
    std::vector<std::int64_t> ints(const Value& v, const char* what) const {
        std::vector<std::int64_t> out;
        for (const Value& x : tuple(v, what)) out.push_back(integer(x, what));
        return out;
    }

    Value persistent_load(const Value& pid) {
        const auto& t = tuple(pid, "persistent id");
        check(t.size() == 5 && t[0].get<std::string_view>() && *t[0].get<std::string_view>() == "storage",
              "persistent id must be ('storage', type, key, location, numel)");
        const auto* type = t[1].get<Global>();
        const auto dtype = type ? storage_dtype(type->name) : std::nullopt;
        check(type && type->module == "torch" && dtype, "persistent id has no torch.*Storage type");
        const auto* key = t[2].get<std::string_view>();
        check(key != nullptr, "storage key must be a string");
        const std::int64_t numel = integer(t[4], "storage numel");
        check(numel >= 0, "negative storage size");
        return Value{Storage{*dtype, *key, numel}};
    }

    Value reduce(const Value& fn, const Value& args) {
        const auto* g = fn.get<Global>();
        check(g != nullptr, "REDUCE of a non-callable");
        const auto& a = tuple(args, "REDUCE arguments");
        if (g->module == "collections") {  // OrderedDict()
            check(a.empty(), "OrderedDict with arguments");
            return Value{new_dict()};
        }
        if (g->name == "_rebuild_tensor_v2") {
            check(a.size() == 6 || a.size() == 7, "_rebuild_tensor_v2 takes 6 or 7 arguments, got ", a.size());
            const auto* storage = a[0].get<Storage>();
            check(storage != nullptr, "_rebuild_tensor_v2: first argument is not a storage");
            tensors_.push_back(std::make_unique<Tensor>(
                Tensor{*storage, integer(a[1], "storage_offset"), ints(a[2], "size"), ints(a[3], "stride")}));
            check(tensors_.back()->size.size() == tensors_.back()->stride.size(),
                  "_rebuild_tensor_v2: size and stride ranks differ");
            return Value{tensors_.back().get()};
        }
        if (g->name == "_rebuild_parameter" || g->name == "_rebuild_parameter_with_state") {
            check(a.size() >= 1 && a[0].get<Tensor*>(), g->name, ": first argument is not a tensor");
            return a[0];
        }
        fail("global '", g->module, ".", g->name, "' cannot be called");
    }

    // BUILD: state for an OrderedDict (its `_metadata` attribute) is accepted and dropped; anything else is an error.
    void build() {
        const Value state = pop();
        check(top().get<Dict*>() != nullptr, "BUILD on something other than a dict");
        check(state.get<Dict*>() != nullptr || state.get<std::monostate>() != nullptr,
              "BUILD state must be a dict");
    }

    Seq* new_seq(std::vector<Value> items) {
        seqs_.push_back(std::make_unique<Seq>(Seq{std::move(items)}));
        return seqs_.back().get();
    }
    Dict* new_dict() {
        dicts_.push_back(std::make_unique<Dict>());
        return dicts_.back().get();
    }

    std::span<const std::byte> bytes_;
    std::string where_;
    std::size_t pos_ = 0;
    std::vector<Value> stack_;
    std::vector<std::size_t> marks_;
    std::map<std::uint32_t, Value> memo_;
    std::vector<std::unique_ptr<Seq>> seqs_;
    std::vector<std::unique_ptr<Dict>> dicts_;
    std::vector<std::unique_ptr<Tensor>> tensors_;
};

// Unpickles a torch state dict from `bytes` (named `where` in errors) with the whitelist above: the root must be a
// dict of string keys and tensor values.
inline std::vector<std::pair<std::string, Tensor>> load_state_dict(std::span<const std::byte> bytes,
                                                                   const std::string& where) {
    Machine m(bytes, where);
    const Value root = m.run();
    const auto* dict = root.get<Dict*>();
    TINYBERT_CHECK(dict != nullptr, where, ": the pickled object is not a dict of tensors");
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& [k, v] : (*dict)->items) {
        const auto* key = k.get<std::string_view>();
        TINYBERT_CHECK(key != nullptr, where, ": state dict key is not a string");
        const auto* t = v.get<Tensor*>();
        TINYBERT_CHECK(t != nullptr, where, ": entry '", *key, "' is not a tensor");
        out.emplace_back(std::string(*key), **t);
    }
    return out;
}

}  // namespace tinybert::detail::pickle
