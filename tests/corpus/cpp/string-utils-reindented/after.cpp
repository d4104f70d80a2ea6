// string_utils.cpp - small string helpers shared by the CLI and the server.

#include <cctype>
#include <string>
#include <vector>

namespace tide::util {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::string::size_type start = 0;
    while (true) {
        const auto pos = s.find(sep, start);
        if (pos == std::string::npos) {
            parts.push_back(s.substr(start));
            break;
        }
        parts.push_back(s.substr(start, pos - start));
        start = pos + 1;
    }
    return parts;
}

std::string to_lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.size() >= prefix.size() &&
           s.compare(0, prefix.size(), prefix) == 0;
}

class Joiner {
public:
    explicit Joiner(std::string sep) : sep_(std::move(sep)) {}

    Joiner& add(const std::string& part) {
        if (!out_.empty())
            out_ += sep_;
        out_ += part;
        return *this;
    }

    const std::string& str() const { return out_; }

private:
    std::string sep_;
    std::string out_;
};

}  // namespace tide::util
