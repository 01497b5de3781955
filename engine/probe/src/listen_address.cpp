#include "listen_address.h"

#include "discovery_directory.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/random.h>
#include <string>
#include <unistd.h>

namespace traindx::probe {

std::string discovery_directory(std::string* error)
{
    return wire::discovery_directory(error);
}

std::string listen_path(const std::string& requested, std::string* error)
{
    if (!requested.empty())
        return requested;
    if (const char* env = std::getenv("TRAINDX_LISTEN"); env && *env)
        return env;
    const std::string dir = discovery_directory(error);
    if (dir.empty())
        return {};
    return dir + "/" + std::to_string(::getpid()) + ".sock";
}

bool is_tcp(const std::string& address)
{
    return address.compare(0, 6, "tcp://") == 0;
}

std::string listen_token(bool* generated, std::string* error)
{
    *generated = false;
    if (const char* env = std::getenv("TRAINDX_TOKEN"); env && *env) {
        if (std::strlen(env) < 16) {
            *error = "TRAINDX_TOKEN is shorter than 16 characters";
            return {};
        }
        return env;
    }
    unsigned char bytes[16];
    if (::getrandom(bytes, sizeof bytes, 0) != ssize_t(sizeof bytes)) {
        *error = "no random bytes for a token";
        return {};
    }
    std::string token;
    char hex[3];
    for (unsigned char byte : bytes) {
        std::snprintf(hex, sizeof hex, "%02x", byte);
        token += hex;
    }
    *generated = true;
    return token;
}

} // namespace traindx::probe
