#include "listen_address.h"

#include "discovery_directory.h"

#include <cstdlib>
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

} // namespace traindx::probe
