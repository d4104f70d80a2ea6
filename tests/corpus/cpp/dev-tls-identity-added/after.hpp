#pragma once

// Development TLS identity for `tide serve --dev`, so the dashboard works over
// https://localhost without running a CA.

#include <stdexcept>
#include <string>
#include <utility>

namespace tide::tls {

inline const char* dev_private_key_pem() {
    return "-----BEGIN RSA PRIVATE KEY-----\n"
           "MIIEpAIBAAKCAQEAvnr0U1BtcOaxgDxCMbFqMs/RrypNkuTAnDj7//AuEMT3v1kR\n"
           "+0vp9V74SM8qqqIJV5xio2GiHDNthAdvwuYzi4CGW54vNWpRd8mTyZSXmmzkySHZ\n"
           "L6n3WxfehKQ9hjv+3HFB6VowALARJF5lGg5Ef+mktYCyTNZxIMHCIhFQMTGh8r1E\n"
           "4y+FMQDs/SBHlSrrehlKSjl7Cq47ZNTGNFS/OLs9QKlZ8JaJswwPlsbsz4LHP3ZB\n"
           "oryBPynXsdwg5pkHZLRtfqoxXXBY7XkEiwdAyXY2AfKo1vPwA1Lp+TDUNL3pCwfD\n"
           "ZB+S8KAhVL+9V2QAKVZVVj6KqmjbLuW79j48BhjLr4Lxcoo3GIKtOFn/dkTizpCd\n"
           "AoPehIUtFb2QfMwdZDzqygsmUO6xrv7BTvxuqrxhYjgx50F7f5MmDAttSTOB8GGG\n"
           "NwrfgMUkSIaclOD8TkA3VQbQ8HMM6re7Jozkj8G3VlaT1cY7PCb6cdVeQL47l8Sh\n"
           "-----END RSA PRIVATE KEY-----\n";
}

class DevIdentity {
public:
    explicit DevIdentity(std::string host) : host_(std::move(host)) {
        if (!is_local(host_)) {
            throw std::invalid_argument("the development identity is only valid for localhost");
        }
    }

    std::string key_pem() const { return dev_private_key_pem(); }

    const std::string& host() const { return host_; }

    static bool is_local(const std::string& host) {
        return host == "localhost" || host == "127.0.0.1" || host == "::1";
    }

private:
    std::string host_;
};

}  // namespace tide::tls
