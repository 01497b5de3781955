#include "listen_address.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace traindx::probe {

namespace {

bool private_directory(const std::string& path, std::string* error)
{
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
        *error = "cannot create " + path + ": " + std::strerror(errno);
        return false;
    }
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        *error = path + " is not a directory";
        return false;
    }
    if (info.st_uid != ::getuid()) {
        *error = path + " belongs to another user";
        return false;
    }
    if ((info.st_mode & 077) != 0 && ::chmod(path.c_str(), 0700) != 0) {
        *error = path + " is open to other users and cannot be made private";
        return false;
    }
    return true;
}

} // namespace

std::string discovery_directory(std::string* error)
{
    std::string base;
    struct stat runtime_info {};
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime && *runtime && ::stat(runtime, &runtime_info) == 0 && S_ISDIR(runtime_info.st_mode))
        base = std::string(runtime) + "/traindx";
    else
        base = "/tmp/traindx-" + std::to_string(::getuid());
    if (!private_directory(base, error))
        return {};
    return base;
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
