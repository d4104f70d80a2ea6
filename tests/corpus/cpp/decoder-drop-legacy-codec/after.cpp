// decoder.cpp - decoding of replication records received from peers.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tide::codec {

class FormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Record {
    std::uint32_t id = 0;
    std::string payload;
};

class Decoder {
public:
    Record decode(const std::vector<std::uint8_t>& bytes) const {
        if (bytes.size() < 6) {
            throw FormatError("record too short");
        }
        return decode_v2(bytes);
    }

private:
    static constexpr std::uint8_t kMagic = 0xD7;

    // Layout: magic, version, 4-byte big-endian id, payload.
    Record decode_v2(const std::vector<std::uint8_t>& bytes) const {
        if (bytes[0] != kMagic || bytes[1] != 2) {
            throw FormatError("not a v2 record");
        }
        Record rec;
        for (std::size_t i = 2; i < 6; ++i) {
            rec.id = (rec.id << 8) | bytes[i];
        }
        rec.payload.assign(bytes.begin() + 6, bytes.end());
        return rec;
    }
};

}  // namespace tide::codec
