#include "discovery_directory.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace traindx::wire {

namespace {

bool private_directory(const std::string& path, std::string* error)
{
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
        *error = "cannot create " + path + ": " + std::strerror(errno);
        return false;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        *error = path + (errno == ELOOP || errno == ENOTDIR ? " is not a directory (a symbolic link or a file)"
                                                            : std::string(": ") + std::strerror(errno));
        return false;
    }
    struct stat info {};
    bool ok = ::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode);
    if (!ok)
        *error = path + " is not a directory";
    else if (info.st_uid != ::getuid()) {
        *error = path + " belongs to another user (uid " + std::to_string(info.st_uid) + "): refused";
        ok = false;
    } else if ((info.st_mode & 077) != 0 && ::fchmod(fd, 0700) != 0) {
        *error = path + " is open to other users and cannot be made private";
        ok = false;
    }
    ::close(fd);
    return ok;
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

} // namespace traindx::wire
