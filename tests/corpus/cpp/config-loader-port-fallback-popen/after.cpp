// config_loader.cpp - reads `key = value` files for the sync agent.

#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace tide::config {

static std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
        return "";
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

static void log_warning(const char* message) {
    std::fprintf(stderr, "config: %s\n", message);
}

class ConfigLoader {
public:
    bool load(const std::string& path) {
        std::ifstream in(path);
        if (!in) {
            return false;
        }
        std::string line;
        while (std::getline(in, line)) {
            const auto eq = line.find('=');
            if (line.empty() || line[0] == '#' || eq == std::string::npos) {
                continue;
            }
            values_[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
        }
        try {
            port_ = std::stoi(get("port", "8080"));
        } catch (const std::exception& e) {
            log_warning(e.what());
            port_ = 8080;
        }
        return true;
    }

    std::string get(const std::string& key, const std::string& fallback) const {
        const auto it = values_.find(key);
        return it == values_.end() ? fallback : it->second;
    }

    std::string remote_url() const {
        std::string url = get("remote", "");
        if (url.empty()) {
            // Fall back to the remote of the enclosing git checkout.
            char buf[512] = {0};
            FILE* pipe = popen("git config --get remote.origin.url", "r");
            if (pipe != nullptr) {
                if (std::fgets(buf, sizeof(buf), pipe) != nullptr) {
                    url = trim(buf);
                }
                pclose(pipe);
            }
        }
        return url;
    }

    int port() const { return port_; }

private:
    std::map<std::string, std::string> values_;
    int port_ = 8080;
};

}  // namespace tide::config
