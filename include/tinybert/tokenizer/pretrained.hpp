// tinybert/tokenizer/pretrained.hpp: Tokenizer::from_pretrained / save_pretrained for Hugging Face tokenizer folders.
// Reads tokenizer.json (WordPiece model + BertNormalizer, or a BPE / Unigram pipeline, see tokenizer_json.hpp),
// vocab.json + merges.txt (RobertaTokenizer / GPT2Tokenizer) or vocab.txt, and tokenizer_config.json (do_lower_case,
// strip_accents, tokenize_chinese_chars, model_max_length, add_prefix_space, special token strings) as transformers
// does. BPE / Unigram tokenizers are saved as tokenizer.json with tokenizer_class PreTrainedTokenizerFast.
#pragma once

#include <filesystem>
#include <string>

#include "tinybert/io/files.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"
#include "tinybert/tokenizer/tokenizer_json.hpp"

namespace tinybert {

namespace detail {

// A special token in tokenizer_config.json: "[SEP]" or an AddedToken object {"content": "[SEP]", ...}.
inline std::string token_string(const json::Value& v, const std::string& source, const char* key) {
    if (v.is_string()) return v.as_string();
    const json::Value* c = v.find("content");
    TINYBERT_CHECK(c && c->is_string(), source, ": \"", key, "\" must be a string or an object with \"content\"");
    return c->as_string();
}

inline void read_tokenizer_config(const json::Value& cfg, const std::string& source, TokenizerOptions& o) {
    TINYBERT_CHECK(cfg.is_object(), source, ": expected a JSON object");
    const auto flag = [&](const json::Value& v, const char* key) {
        TINYBERT_CHECK(v.is_bool(), source, ": \"", key, "\" must be true or false");
        return v.as_bool();
    };
    if (const json::Value* v = cfg.find("do_lower_case")) o.do_lower_case = flag(*v, "do_lower_case");
    if (const json::Value* v = cfg.find("strip_accents"))
        o.strip_accents = v->is_null() ? std::nullopt : std::optional<bool>(flag(*v, "strip_accents"));
    if (const json::Value* v = cfg.find("tokenize_chinese_chars"))
        o.tokenize_chinese_chars = flag(*v, "tokenize_chinese_chars");
    o.model_max_length = no_max_length;  // transformers: absent => int(1e30), i.e. no limit
    if (const json::Value* v = cfg.find("model_max_length"); v && v->is_number() && v->as_double() < 1e18) {
        TINYBERT_CHECK(v->as_double() >= 1, source, ": model_max_length must be positive");
        o.model_max_length = static_cast<std::size_t>(v->as_int());
    }
    const std::pair<const char*, std::string*> named[] = {{"unk_token", &o.unk_token}, {"sep_token", &o.sep_token},
                                                          {"pad_token", &o.pad_token}, {"cls_token", &o.cls_token},
                                                          {"mask_token", &o.mask_token}};
    for (const auto& [key, dst] : named)
        if (const json::Value* v = cfg.find(key); v && !v->is_null()) *dst = token_string(*v, source, key);
    if (const json::Value* v = cfg.find("additional_special_tokens"); v && v->is_array())
        for (const json::Value& t : v->as_array())
            o.additional_special_tokens.push_back(token_string(t, source, "additional_special_tokens"));
    // transformers' model_input_names: the file's, else the class default (the classes below take no token types)
    if (const json::Value* v = cfg.find("model_input_names"); v && v->is_array()) {
        o.token_type_ids_input = false;
        for (const json::Value& n : v->as_array())
            if (n.is_string() && n.as_string() == "token_type_ids") o.token_type_ids_input = true;
    } else if (const json::Value* c = cfg.find("tokenizer_class"); c && c->is_string()) {
        std::string cls = c->as_string();
        if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
        for (const char* no_types : {"RobertaTokenizer", "XLMRobertaTokenizer", "GPT2Tokenizer", "DistilBertTokenizer",
                                     "CamembertTokenizer", "BartTokenizer"})
            if (cls == no_types) o.token_type_ids_input = false;
    }
    if (const json::Value* v = cfg.find("added_tokens_decoder"); v && v->is_object())
        for (const auto& [id, t] : v->as_object())
            if (const json::Value* sp = t.find("special"); sp && sp->is_bool() && sp->as_bool())
                o.additional_special_tokens.push_back(token_string(t, source, "added_tokens_decoder"));
}

// transformers' RobertaTokenizer / GPT2Tokenizer rebuild their ByteLevel pre-tokenizer and RobertaProcessing with
// tokenizer_config.json's add_prefix_space (what RoBERTa NER sets for is_split_into_words): the same edit on the
// tokenizer.json document, so that save_pretrained keeps it.
inline json::Value apply_add_prefix_space(const json::Value& doc, const json::Value* cfg) {
    if (!cfg || !cfg->is_object()) return doc;
    const json::Value* cls = cfg->find("tokenizer_class");
    const json::Value* aps = cfg->find("add_prefix_space");
    if (!cls || !cls->is_string() || !aps || !aps->is_bool()) return doc;
    std::string c = cls->as_string();
    if (c.size() > 4 && c.compare(c.size() - 4, 4, "Fast") == 0) c.resize(c.size() - 4);
    if (c != "RobertaTokenizer" && c != "GPT2Tokenizer") return doc;
    json::Object out = doc.as_object();
    for (auto& [key, v] : out) {
        if ((key != "pre_tokenizer" && key != "post_processor") || !v.is_object()) continue;
        const json::Value* t = v.find("type");
        if (!t || !t->is_string() || (t->as_string() != "ByteLevel" && t->as_string() != "RobertaProcessing")) continue;
        json::Object o = v.as_object();
        bool set = false;
        for (auto& [k, x] : o)
            if (k == "add_prefix_space") {
                x = aps->as_bool();
                set = true;
            }
        if (!set) o.push_back({"add_prefix_space", aps->as_bool()});
        v = json::Value(std::move(o));
    }
    return json::Value(std::move(out));
}

// transformers 5's XLMRobertaTokenizer, CamembertTokenizer and AlbertTokenizer rebuild the normalizer, the
// pre-tokenizer, the decoder and the Unigram unk_id in __init__, keeping only the file's Precompiled charsmap, vocab,
// added tokens and post-processor: hub files written by older converters (Precompiled + Replace " {2,}", a plain
// Metaspace) run as Precompiled -> WhitespaceSplit -> Metaspace. The same edit on the tokenizer.json document.
inline json::Value apply_spm_class(const json::Value& doc, const json::Value* cfg) {
    if (!cfg || !cfg->is_object() || !doc.is_object()) return doc;
    const json::Value* cls_v = cfg->find("tokenizer_class");
    if (!cls_v || !cls_v->is_string()) return doc;
    std::string cls = cls_v->as_string();
    if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
    const bool albert = cls == "AlbertTokenizer";
    if (!albert && cls != "XLMRobertaTokenizer" && cls != "CamembertTokenizer") return doc;
    const json::Value* model = doc.find("model");
    const json::Value* mtype = model ? model->find("type") : nullptr;
    if (!mtype || !mtype->is_string() || mtype->as_string() != "Unigram") return doc;
    const auto flag = [&](const char* key, bool def) {
        const json::Value* v = cfg->find(key);
        return v && v->is_bool() ? v->as_bool() : def;
    };
    json::Value charsmap;  // the file's Precompiled normalizer (alone or in a Sequence), or null
    if (const json::Value* n = doc.find("normalizer"); n && n->is_object()) {
        const json::Value* t = n->find("type");
        const json::Value* list = n->find("normalizers");
        if (t && t->is_string() && t->as_string() == "Precompiled") charsmap = *n;
        else if (t && t->is_string() && t->as_string() == "Sequence" && list && list->is_array())
            for (const json::Value& x : list->as_array())
                if (const json::Value* xt = x.find("type"); xt && xt->is_string() && xt->as_string() == "Precompiled") {
                    charsmap = x;
                    break;
                }
    }
    json::Value normalizer = charsmap;
    if (albert) {
        const auto replace = [](const char* from, const char* to) {
            return json::Object{{"type", "Replace"}, {"pattern", json::Object{{"String", from}}}, {"content", to}};
        };
        json::Array steps{replace("``", "\""), replace("''", "\"")};
        if (!flag("keep_accents", false)) {
            steps.push_back(json::Object{{"type", "NFKD"}});
            steps.push_back(json::Object{{"type", "StripAccents"}});
        }
        if (flag("do_lower_case", true)) steps.push_back(json::Object{{"type", "Lowercase"}});
        if (!charsmap.is_null()) steps.push_back(charsmap);
        normalizer = json::Object{{"type", "Sequence"}, {"normalizers", std::move(steps)}};
    }
    const char* scheme = flag("add_prefix_space", true) ? "always" : "never";
    const json::Object metaspace{{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", scheme},
                                 {"split", true}};
    const json::Value pre = json::Object{{"type", "Sequence"},
                                         {"pretokenizers", json::Array{json::Object{{"type", "WhitespaceSplit"}}, metaspace}}};
    std::int64_t unk_id = albert ? 1 : 3;
    if (cls == "CamembertTokenizer") {  // the index of unk_token in the vocab, else 0
        unk_id = 0;
        const json::Value* u = cfg->find("unk_token");
        const std::string unk = u && u->is_string() ? u->as_string() : "<unk>";
        if (const json::Value* v = model->find("vocab"); v && v->is_array())
            for (std::size_t i = 0; i < v->as_array().size(); ++i) {
                const json::Value& e = v->as_array()[i];
                if (e.is_array() && !e.as_array().empty() && e.as_array()[0].is_string() &&
                    e.as_array()[0].as_string() == unk) {
                    unk_id = static_cast<std::int64_t>(i);
                    break;
                }
            }
    }
    json::Object out = doc.as_object();
    for (const char* key : {"normalizer", "pre_tokenizer", "decoder"})
        if (!doc.find(key)) out.push_back({key, nullptr});
    for (auto& [key, v] : out) {
        if (key == "normalizer") v = normalizer;
        else if (key == "pre_tokenizer") v = pre;
        else if (key == "decoder") v = json::Value(metaspace);
        else if (key == "model") {
            json::Object m = v.as_object();
            for (auto& [k, x] : m)
                if (k == "unk_id") x = unk_id;
            v = json::Value(std::move(m));
        }
    }
    return json::Value(std::move(out));
}

}  // namespace detail

inline Tokenizer Tokenizer::from_pretrained(const std::string& dir) {
    namespace fs = std::filesystem;
    const fs::path root(dir);
    TINYBERT_CHECK(fs::is_directory(root), "tokenizer: \"", dir, "\" is not a directory");
    TokenizerOptions o;
    o.model_max_length = no_max_length;
    const fs::path config = root / "tokenizer_config.json", tok_json = root / "tokenizer.json";
    std::optional<json::Value> cfg;
    if (fs::exists(config)) cfg = json::parse_file(config.string());

    // BPE / Unigram: special tokens default to RoBERTa's / XLM-R's strings, then tokenizer_config.json.
    const auto pipeline_options = [&] {
        TokenizerOptions po;
        po.model_max_length = no_max_length;
        po.unk_token = "<unk>";
        po.sep_token = "</s>";
        po.pad_token = "<pad>";
        po.cls_token = "<s>";
        po.mask_token = "<mask>";
        if (cfg) detail::read_tokenizer_config(*cfg, config.string(), po);
        return po;
    };
    if (fs::exists(tok_json)) {
        const std::string src = tok_json.string();
        const json::Value doc = json::parse_file(src);
        TINYBERT_CHECK(doc.is_object(), src, ": expected a JSON object, got ", doc.kind_name());
        const json::Value* model_v = doc.find("model");
        TINYBERT_CHECK(model_v && model_v->is_object(), src, ": no \"model\" object");
        const json::Value& model = *model_v;
        const json::Value* type = model.find("type");
        TINYBERT_CHECK(type && type->is_string(), src, ": model.type must be a string (WordPiece, BPE or Unigram)");
        if (type->as_string() != "WordPiece") {
            detail::PostProcessor post;
            auto pipe = detail::read_pipeline(
                detail::apply_spm_class(detail::apply_add_prefix_space(doc, cfg ? &*cfg : nullptr), cfg ? &*cfg : nullptr),
                src, post);
            return Tokenizer(std::move(pipe), std::move(post), pipeline_options());
        }
        std::string prefix = "##";
        if (const json::Value* p = model.find("continuing_subword_prefix"); p && p->is_string()) prefix = p->as_string();
        if (const json::Value* u = model.find("unk_token"); u && u->is_string()) o.unk_token = u->as_string();
        if (const json::Value* m = model.find("max_input_chars_per_word"); m && m->is_number())
            o.max_input_chars_per_word = static_cast<std::size_t>(m->as_int());
        if (const json::Value* n = doc.find("normalizer"); n && n->is_object()) {
            const json::Value* nt = n->find("type");
            TINYBERT_CHECK(nt && nt->is_string() && nt->as_string() == "BertNormalizer", src,
                           ": only the BertNormalizer is supported");
            if (const json::Value* v = n->find("lowercase")) o.do_lower_case = v->as_bool();
            if (const json::Value* v = n->find("strip_accents"))
                o.strip_accents = v->is_null() ? std::nullopt : std::optional<bool>(v->as_bool());
            if (const json::Value* v = n->find("handle_chinese_chars")) o.tokenize_chinese_chars = v->as_bool();
            if (const json::Value* v = n->find("clean_text"))
                TINYBERT_CHECK(v->as_bool(), src, ": clean_text=false is not supported");
        }
        Vocab vocab = Vocab::from_json_object(model.at("vocab"), src, prefix);
        if (const json::Value* added = doc.find("added_tokens"); added && added->is_array()) {
            for (const json::Value& t : added->as_array()) {
                const std::string& content = t.at("content").as_string();
                const std::int64_t id = t.at("id").as_int();
                TINYBERT_CHECK(vocab.find(content) == id, src, ": added token \"", content, "\" (id ", id,
                               ") must be in the WordPiece vocabulary with the same id");
                for (const char* flag : {"normalized", "lstrip", "rstrip", "single_word"})
                    if (const json::Value* f = t.find(flag); f && f->is_bool() && f->as_bool())
                        TINYBERT_FAIL(src, ": added token \"", content, "\" with ", flag, "=true is not supported");
                if (const json::Value* sp = t.find("special"); sp && sp->as_bool())
                    o.additional_special_tokens.push_back(content);
            }
        }
        if (cfg) detail::read_tokenizer_config(*cfg, config.string(), o);
        return Tokenizer(std::move(vocab), std::move(o));
    }
    if (const fs::path vj = root / "vocab.json", mt = root / "merges.txt"; fs::exists(vj) && fs::exists(mt)) {
        TokenizerOptions po = pipeline_options();
        std::string cls = "RobertaTokenizer";
        bool add_prefix_space = false, trim_offsets = true;
        if (cfg) {
            const detail::JsonReader r(config.string());
            if (const json::Value* c = r.opt(*cfg, "tokenizer_class")) cls = r.str(*c, "tokenizer_class");
            add_prefix_space = r.flag(*cfg, "the config", "add_prefix_space", false);
            trim_offsets = r.flag(*cfg, "the config", "trim_offsets", true);
        }
        if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
        TINYBERT_CHECK(cls == "RobertaTokenizer" || cls == "GPT2Tokenizer", config.string(), ": tokenizer_class \"", cls,
                       "\" with vocab.json + merges.txt is not supported (RobertaTokenizer and GPT2Tokenizer are)");
        const bool roberta = cls == "RobertaTokenizer";
        if (!roberta) {  // GPT2Tokenizer: <|endoftext|> unless the config says otherwise; no cls/sep/pad/mask
            const auto endoftext = [&](std::string& s, const char* key) {
                if (!cfg || !cfg->find(key)) s = "<|endoftext|>";
            };
            endoftext(po.unk_token, "unk_token");
            for (std::string* s : {&po.cls_token, &po.sep_token, &po.mask_token})
                if (*s == "<s>" || *s == "</s>" || *s == "<mask>") s->clear();
            if (!cfg || !cfg->find("pad_token")) po.pad_token.clear();
        }
        std::vector<std::string> specials;
        std::string bos = roberta ? "<s>" : "<|endoftext|>", eos = roberta ? "</s>" : "<|endoftext|>";
        if (cfg) {
            if (const json::Value* v = cfg->find("bos_token"); v && !v->is_null()) bos = detail::token_string(*v, config.string(), "bos_token");
            if (const json::Value* v = cfg->find("eos_token"); v && !v->is_null()) eos = detail::token_string(*v, config.string(), "eos_token");
        }
        for (const std::string* s : {&bos, &eos, &po.unk_token, &po.sep_token, &po.pad_token, &po.cls_token,
                                     &po.mask_token})
            specials.push_back(*s);
        for (const std::string& s : po.additional_special_tokens) specials.push_back(s);
        const json::Value doc = detail::tokenizer_json_from_bpe_files(vj.string(), mt.string(), specials, roberta,
                                                                      add_prefix_space, trim_offsets, po.cls_token,
                                                                      po.sep_token);
        detail::PostProcessor post;
        auto pipe = detail::read_pipeline(doc, vj.string() + " + merges.txt", post);
        return Tokenizer(std::move(pipe), std::move(post), std::move(po));
    }
    const fs::path vocab_txt = root / "vocab.txt";
    TINYBERT_CHECK(fs::exists(vocab_txt), "tokenizer: \"", dir,
                   "\" has neither tokenizer.json, vocab.json + merges.txt, nor vocab.txt");
    if (cfg) detail::read_tokenizer_config(*cfg, config.string(), o);
    return Tokenizer(Vocab::from_txt(vocab_txt.string()), std::move(o));
}

inline void Tokenizer::save_pretrained(const std::string& dir) const {
    namespace fs = std::filesystem;
    detail::create_directories_durable(dir);
    const auto write = [&](const char* name, const std::string& text) {  // durably, as io/files.hpp describes
        detail::AtomicWriter f((fs::path(dir) / name).string());
        f.write(text.data(), text.size());
        f.commit();
    };
    if (pipe_) {
        write("tokenizer.json", pipe_->doc.dump(2) + "\n");
        json::Object special;
        const std::pair<const char*, const std::string*> named[] = {
            {"bos_token", &opts_.cls_token}, {"eos_token", &opts_.sep_token}, {"unk_token", &opts_.unk_token},
            {"sep_token", &opts_.sep_token}, {"pad_token", &opts_.pad_token}, {"cls_token", &opts_.cls_token},
            {"mask_token", &opts_.mask_token}};
        for (const auto& [key, tok] : named)
            if (!tok->empty() && vocab_.find(*tok) >= 0) special.push_back({key, *tok});
        json::Object cfg{{"tokenizer_class", "PreTrainedTokenizerFast"}, {"clean_up_tokenization_spaces", false},
                         {"model_max_length", static_cast<std::int64_t>(opts_.model_max_length == no_max_length
                                                                             ? 512
                                                                             : opts_.model_max_length)}};
        for (const auto& kv : special) cfg.push_back(kv);
        if (!opts_.token_type_ids_input) cfg.push_back({"model_input_names", json::Array{"input_ids", "attention_mask"}});
        write("tokenizer_config.json", json::Value(std::move(cfg)).dump(2) + "\n");
        write("special_tokens_map.json", json::Value(std::move(special)).dump(2) + "\n");
        return;
    }
    std::string vocab;
    for (const std::string& t : vocab_.tokens()) (vocab += t) += '\n';
    write("vocab.txt", vocab);
    json::Object special{{"unk_token", opts_.unk_token}, {"sep_token", opts_.sep_token},
                         {"pad_token", opts_.pad_token}, {"cls_token", opts_.cls_token}};
    if (mask_id_ >= 0) special.push_back({"mask_token", opts_.mask_token});
    json::Object cfg{{"do_lower_case", opts_.do_lower_case},
                     {"strip_accents", opts_.strip_accents ? json::Value(*opts_.strip_accents) : json::Value()},
                     {"tokenize_chinese_chars", opts_.tokenize_chinese_chars},
                     {"model_max_length", static_cast<std::int64_t>(opts_.model_max_length == no_max_length
                                                                        ? 512
                                                                        : opts_.model_max_length)},
                     {"tokenizer_class", "BertTokenizer"}};
    for (const auto& kv : special) cfg.push_back(kv);
    if (!opts_.token_type_ids_input) cfg.push_back({"model_input_names", json::Array{"input_ids", "attention_mask"}});
    write("tokenizer_config.json", json::Value(std::move(cfg)).dump(2) + "\n");
    write("special_tokens_map.json", json::Value(std::move(special)).dump(2) + "\n");
}

}  // namespace tinybert
