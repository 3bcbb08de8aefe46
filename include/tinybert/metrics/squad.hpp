// tinybert/metrics/squad.hpp: SQuAD v1.1 exact match and token F1, as the official evaluate-v1.1.py script
// (= HF evaluate "squad", compute_score.py) defines them. normalize_answer works on code points: Python
// str.lower (full mapping: U+0130 -> "i̇", final sigma), drop ASCII string.punctuation, re.sub(r"\b(a|an|the)\b",
// " ") with Unicode word characters, then " ".join(s.split()) with Python's str.isspace set.
#pragma once

#include <utf8proc.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert::metrics {

// One reference question: its id and every gold answer text.
struct SquadReference {
    std::string id;
    std::vector<std::string> answers;
};

struct SquadScores {
    double exact_match = 0.0;  // 100 * mean over reference questions
    double f1 = 0.0;           // 100 * mean over reference questions
    std::size_t total = 0;     // reference questions
    std::size_t missing = 0;   // reference questions without a prediction (scored 0)
};

namespace detail {

inline std::u32string squad_decode(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    for (std::size_t i = 0; i < s.size();) {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
        TINYBERT_CHECK(n > 0, "SQuAD normalize: invalid UTF-8 at byte ", i);
        out.push_back(static_cast<char32_t>(cp));
        i += static_cast<std::size_t>(n);
    }
    return out;
}

inline std::string squad_encode(std::u32string_view s) {
    std::string out;
    out.reserve(s.size());
    utf8proc_uint8_t buf[4];
    for (const char32_t c : s) {
        const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
        out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
    }
    return out;
}

inline utf8proc_category_t squad_category(char32_t c) {
    return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

// Python str.isspace.
inline bool squad_is_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Python re `\w` on str patterns: letters, numbers (L*, N*) and underscore.
inline bool squad_is_word(char32_t c) {
    if (c == U'_') return true;
    const utf8proc_category_t k = squad_category(c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) ||
           (k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO);
}

// Unicode Cased (approximated by Lu, Ll, Lt) and Case_Ignorable, for Python's Final_Sigma rule.
inline bool squad_is_cased(char32_t c) {
    const utf8proc_category_t k = squad_category(c);
    return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT;
}
inline bool squad_is_case_ignorable(char32_t c) {
    switch (c) {
        case 0x27:
        case 0x2E:
        case 0x3A:
        case 0xB7:
        case 0x387:
        case 0x55F:
        case 0x5F4:
        case 0x2018:
        case 0x2019:
        case 0x2024:
        case 0x2027:
        case 0xFE13:
        case 0xFE52:
        case 0xFE55:
        case 0xFF07:
        case 0xFF0E:
        case 0xFF1A:
            return true;
        default:
            break;
    }
    const utf8proc_category_t k = squad_category(c);
    return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_ME || k == UTF8PROC_CATEGORY_CF ||
           k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_SK;
}

// Python str.lower: full lowercase mapping, including U+0130 -> "i\u0307" and the Final_Sigma context for U+03A3.
inline std::u32string squad_lower(const std::u32string& s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char32_t c = s[i];
        if (c == 0x130) {
            out += U"i\u0307";
        } else if (c == 0x3A3) {
            std::size_t j = i;
            while (j > 0 && squad_is_case_ignorable(s[j - 1])) --j;
            bool final_sigma = j > 0 && squad_is_cased(s[j - 1]);
            std::size_t k = i + 1;
            while (k < s.size() && squad_is_case_ignorable(s[k])) ++k;
            if (k < s.size() && squad_is_cased(s[k])) final_sigma = false;
            out += final_sigma ? char32_t{0x3C2} : char32_t{0x3C3};
        } else {
            out += static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
        }
    }
    return out;
}

inline bool squad_is_ascii_punct(char32_t c) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

// re.sub(r"\b(a|an|the)\b", " ", s): alternatives tried in order at each position, scanning left to right.
inline std::u32string squad_remove_articles(const std::u32string& s) {
    const auto word_at = [&](std::size_t i) { return i < s.size() && squad_is_word(s[i]); };
    const auto boundary = [&](std::size_t i) { return (i > 0 && word_at(i - 1)) != word_at(i); };
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 0;
        if (boundary(i)) {
            for (const std::u32string_view art :
                 {std::u32string_view(U"a"), std::u32string_view(U"an"), std::u32string_view(U"the")}) {
                if (std::u32string_view(s).substr(i, art.size()) == art && boundary(i + art.size())) {
                    len = art.size();
                    break;
                }
            }
        }
        if (len > 0) {
            out += U' ';
            i += len;
        } else {
            out += s[i++];
        }
    }
    return out;
}

// Normalized answer split on Python whitespace.
inline std::vector<std::string> squad_tokens(std::string_view text) {
    std::u32string s = squad_lower(squad_decode(text));
    std::erase_if(s, squad_is_ascii_punct);
    s = squad_remove_articles(s);
    std::vector<std::string> tokens;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && squad_is_space(s[i])) ++i;
        std::size_t j = i;
        while (j < s.size() && !squad_is_space(s[j])) ++j;
        if (j > i) tokens.push_back(squad_encode(std::u32string_view(s).substr(i, j - i)));
        i = j;
    }
    return tokens;
}

}  // namespace detail

// evaluate-v1.1.py normalize_answer.
inline std::string squad_normalize_answer(std::string_view text) {
    std::string out;
    for (const std::string& t : detail::squad_tokens(text)) {
        if (!out.empty()) out += ' ';
        out += t;
    }
    return out;
}

// 1.0 when the normalized strings are equal (so "a" vs "the" match: both normalize to ""), else 0.0.
inline double squad_exact_match(std::string_view prediction, std::string_view ground_truth) {
    return squad_normalize_answer(prediction) == squad_normalize_answer(ground_truth) ? 1.0 : 0.0;
}

// Token F1 over normalized tokens with multiset overlap; 0 when nothing overlaps (including both empty).
inline double squad_f1(std::string_view prediction, std::string_view ground_truth) {
    const std::vector<std::string> pred = detail::squad_tokens(prediction);
    const std::vector<std::string> gold = detail::squad_tokens(ground_truth);
    std::map<std::string_view, std::size_t> gold_counts;
    for (const std::string& t : gold) ++gold_counts[t];
    std::size_t same = 0;
    for (const std::string& t : pred) {
        auto it = gold_counts.find(t);
        if (it != gold_counts.end() && it->second > 0) {
            --it->second;
            ++same;
        }
    }
    if (same == 0) return 0.0;
    const double precision = 1.0 * static_cast<double>(same) / static_cast<double>(pred.size());
    const double recall = 1.0 * static_cast<double>(same) / static_cast<double>(gold.size());
    return (2 * precision * recall) / (precision + recall);
}

// Official v1.1 evaluate(): per question the max EM/F1 over its gold answers, a missing prediction scores 0,
// then 100 * mean over all reference questions. requires: every reference has at least one answer.
inline SquadScores squad_v1(const std::vector<SquadReference>& references,
                            const std::unordered_map<std::string, std::string>& predictions) {
    TINYBERT_CHECK(!references.empty(), "squad_v1: no reference questions");
    SquadScores out;
    std::size_t exact = 0;
    double f1_sum = 0.0;
    for (const SquadReference& ref : references) {
        ++out.total;
        const auto it = predictions.find(ref.id);
        if (it == predictions.end()) {
            ++out.missing;
            continue;
        }
        TINYBERT_CHECK(!ref.answers.empty(), "squad_v1: question ", ref.id, " has no gold answers");
        double best_em = 0.0, best_f1 = 0.0;
        for (const std::string& gold : ref.answers) {
            best_em = std::max(best_em, squad_exact_match(it->second, gold));
            best_f1 = std::max(best_f1, squad_f1(it->second, gold));
        }
        exact += best_em > 0.0 ? 1u : 0u;
        f1_sum += best_f1;
    }
    out.exact_match = 100.0 * static_cast<double>(exact) / static_cast<double>(out.total);
    out.f1 = 100.0 * f1_sum / static_cast<double>(out.total);
    return out;
}

}  // namespace tinybert::metrics
