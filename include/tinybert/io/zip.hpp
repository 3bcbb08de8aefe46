// tinybert/io/zip.hpp: the central directory of a ZIP archive held in memory (PKWARE APPNOTE 4.3.x), enough for
// torch.save archives: stored (uncompressed) entries only, ZIP64 sizes and offsets, one disk. Every offset read
// from the file is bounds-checked; errors name the file and the entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/io/checkpoint_tensor.hpp"

namespace tinybert::detail {

struct ZipEntry {
    std::string name;
    std::uint64_t offset = 0;  // of the entry's bytes in the archive
    std::uint64_t size = 0;
};

// Little-endian fixed-width reads that throw instead of reading past the end.
class ByteReader {
public:
    ByteReader(std::span<const std::byte> bytes, const std::string& file) : bytes_(bytes), file_(file) {}

    template <class U>
    U get(std::uint64_t pos, std::string_view what) const {
        TINYBERT_CHECK(pos <= bytes_.size() && sizeof(U) <= bytes_.size() - pos, file_, ": truncated ZIP archive (",
                       what, " at offset ", pos, " is past the end, ", bytes_.size(), " bytes)");
        return load_unaligned<U>(bytes_.data() + pos);
    }
    std::string_view text(std::uint64_t pos, std::uint64_t n, std::string_view what) const {
        TINYBERT_CHECK(pos <= bytes_.size() && n <= bytes_.size() - pos, file_, ": truncated ZIP archive (", what,
                       " at offset ", pos, " is past the end)");
        return {reinterpret_cast<const char*>(bytes_.data() + pos), static_cast<std::size_t>(n)};
    }
    std::uint64_t size() const { return bytes_.size(); }

private:
    std::span<const std::byte> bytes_;
    const std::string& file_;
};

// Replaces saturated 32-bit fields (0xFFFFFFFF) by their values from the ZIP64 extra field (id 0x0001).
inline void apply_zip64_extra(const ByteReader& r, std::uint64_t extra, std::uint64_t extra_len, std::uint64_t& usize,
                              std::uint64_t& csize, std::uint64_t& offset, const std::string& where) {
    std::uint64_t p = extra;
    while (p + 4 <= extra + extra_len) {
        const auto id = r.get<std::uint16_t>(p, "extra field");
        const auto len = r.get<std::uint16_t>(p + 2, "extra field");
        if (id == 0x0001) {
            std::uint64_t q = p + 4;
            for (std::uint64_t* field : {&usize, &csize, &offset}) {
                if (*field != 0xFFFFFFFFu) continue;
                TINYBERT_CHECK(q + 8 <= p + 4 + len, where, ": ZIP64 extra field too short");
                *field = r.get<std::uint64_t>(q, "ZIP64 extra field");
                q += 8;
            }
            return;
        }
        p += 4 + std::uint64_t{len};
    }
    TINYBERT_CHECK(usize != 0xFFFFFFFFu && csize != 0xFFFFFFFFu && offset != 0xFFFFFFFFu, where,
                   ": saturated size/offset without a ZIP64 extra field");
}

// The entries of the archive `bytes` (named `file` in errors). Compressed or encrypted entries are errors.
inline std::vector<ZipEntry> read_zip_directory(std::span<const std::byte> bytes, const std::string& file) {
    const ByteReader r(bytes, file);
    TINYBERT_CHECK(bytes.size() >= 22, file, ": truncated ZIP archive (", bytes.size(), " bytes)");
    std::uint64_t eocd = bytes.size() - 22;
    const std::uint64_t lowest = eocd > 0xFFFF ? eocd - 0xFFFF : 0;
    while (r.get<std::uint32_t>(eocd, "end record") != 0x06054b50u) {
        TINYBERT_CHECK(eocd > lowest, file, ": no ZIP end-of-central-directory record (truncated or not a ZIP file)");
        --eocd;
    }
    std::uint64_t count = r.get<std::uint16_t>(eocd + 10, "end record");
    std::uint64_t cd_size = r.get<std::uint32_t>(eocd + 12, "end record");
    std::uint64_t cd_offset = r.get<std::uint32_t>(eocd + 16, "end record");
    TINYBERT_CHECK(r.get<std::uint16_t>(eocd + 4, "end record") == 0 && r.get<std::uint16_t>(eocd + 6, "end record") == 0,
                   file, ": multi-disk ZIP archives are not supported");
    if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_offset == 0xFFFFFFFFu) {
        TINYBERT_CHECK(eocd >= 20 && r.get<std::uint32_t>(eocd - 20, "ZIP64 locator") == 0x07064b50u, file,
                       ": ZIP64 end-of-central-directory locator missing");
        const auto z = r.get<std::uint64_t>(eocd - 12, "ZIP64 locator");
        TINYBERT_CHECK(r.get<std::uint32_t>(z, "ZIP64 end record") == 0x06064b50u, file,
                       ": bad ZIP64 end-of-central-directory record");
        count = r.get<std::uint64_t>(z + 32, "ZIP64 end record");
        cd_size = r.get<std::uint64_t>(z + 40, "ZIP64 end record");
        cd_offset = r.get<std::uint64_t>(z + 48, "ZIP64 end record");
    }
    TINYBERT_CHECK(cd_offset <= eocd && cd_size <= eocd - cd_offset, file,
                   ": central directory [", cd_offset, ", +", cd_size, ") is outside the archive");
    TINYBERT_CHECK(count <= cd_size / 46, file, ": central directory too small for ", count, " entries");

    std::vector<ZipEntry> entries;
    std::uint64_t p = cd_offset;
    for (std::uint64_t i = 0; i < count; ++i) {
        TINYBERT_CHECK(r.get<std::uint32_t>(p, "central directory") == 0x02014b50u, file,
                       ": bad central directory entry ", i, " at offset ", p);
        const auto flags = r.get<std::uint16_t>(p + 8, "central directory");
        const auto method = r.get<std::uint16_t>(p + 10, "central directory");
        std::uint64_t csize = r.get<std::uint32_t>(p + 20, "central directory");
        std::uint64_t usize = r.get<std::uint32_t>(p + 24, "central directory");
        const std::uint64_t name_len = r.get<std::uint16_t>(p + 28, "central directory");
        const std::uint64_t extra_len = r.get<std::uint16_t>(p + 30, "central directory");
        const std::uint64_t comment_len = r.get<std::uint16_t>(p + 32, "central directory");
        std::uint64_t local = r.get<std::uint32_t>(p + 42, "central directory");
        ZipEntry e;
        e.name = std::string(r.text(p + 46, name_len, "entry name"));
        const std::string where = concat(file, ": ZIP entry '", e.name, "'");
        apply_zip64_extra(r, p + 46 + name_len, extra_len, usize, csize, local, where);
        TINYBERT_CHECK((flags & 1u) == 0, where, " is encrypted");
        TINYBERT_CHECK(method == 0, where, " is compressed (method ", method,
                       "); only stored entries (as torch.save writes) are supported");
        TINYBERT_CHECK(csize == usize, where, ": stored entry with different sizes");
        TINYBERT_CHECK(r.get<std::uint32_t>(local, "local header") == 0x04034b50u, where,
                       ": bad local header at offset ", local);
        const std::uint64_t local_name = r.get<std::uint16_t>(local + 26, "local header");
        const std::uint64_t local_extra = r.get<std::uint16_t>(local + 28, "local header");
        TINYBERT_CHECK(r.text(local + 30, local_name, "local name") == e.name, where,
                       ": local header name differs from the central directory");
        e.offset = local + 30 + local_name + local_extra;
        e.size = usize;
        TINYBERT_CHECK(e.offset <= cd_offset && e.size <= cd_offset - e.offset, where, ": data [", e.offset, ", +",
                       e.size, ") runs into the central directory (truncated archive?)");
        entries.push_back(std::move(e));
        p += 46 + name_len + extra_len + comment_len;
    }
    return entries;
}

}  // namespace tinybert::detail
