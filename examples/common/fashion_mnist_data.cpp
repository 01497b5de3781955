#include "fashion_mnist_data.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <zlib.h>

namespace examples {

namespace fs = std::filesystem;

namespace {

const char* const kSourceDirectory = "/usr/share/datasets/fashion-mnist";
const char* const kFiles[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                              "t10k-labels-idx1-ubyte"};

fs::path cache_directory()
{
    if (const char* override_dir = std::getenv("TRAINDX_DATA_DIR"); override_dir && *override_dir)
        return override_dir;
    if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache)
        return fs::path(cache) / "traindx" / "fashion-mnist";
    if (const char* home = std::getenv("HOME"); home && *home)
        return fs::path(home) / ".cache" / "traindx" / "fashion-mnist";
    return fs::temp_directory_path() / "traindx-fashion-mnist";
}

void gunzip(const fs::path& from, const fs::path& to)
{
    gzFile in = gzopen(from.c_str(), "rb");
    if (!in)
        throw std::runtime_error("cannot read " + from.string()
                                 + " (install the Debian package dataset-fashion-mnist)");
    const fs::path partial = to.string() + ".partial";
    std::ofstream out(partial, std::ios::binary);
    char buffer[1 << 16];
    int got = 0;
    while ((got = gzread(in, buffer, sizeof(buffer))) > 0)
        out.write(buffer, got);
    const bool ok = got == 0 && out.good();
    gzclose(in);
    out.close();
    if (!ok)
        throw std::runtime_error("cannot unpack " + from.string() + " into " + to.string());
    fs::rename(partial, to); // complete files only: a run killed mid-way leaves no half file
}

} // namespace

std::string fashion_mnist_directory()
{
    const fs::path directory = cache_directory();
    fs::create_directories(directory);
    for (const char* name : kFiles) {
        const fs::path target = directory / name;
        if (!fs::exists(target))
            gunzip(fs::path(kSourceDirectory) / (std::string(name) + ".gz"), target);
    }
    return directory.string();
}

Dataset load_fashion_mnist(bool train, long limit)
{
    using torch::data::datasets::MNIST;
    MNIST dataset(fashion_mnist_directory(), train ? MNIST::Mode::kTrain : MNIST::Mode::kTest);
    torch::Tensor images = dataset.images();
    torch::Tensor labels = dataset.targets();
    if (limit > 0 && limit < images.size(0)) {
        images = images.slice(0, 0, limit);
        labels = labels.slice(0, 0, limit);
    }
    // Fashion-MNIST's pixel mean and standard deviation on the training set.
    return {(images - 0.2860) / 0.3530, labels};
}

} // namespace examples
