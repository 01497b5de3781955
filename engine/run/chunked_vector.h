// A vector kept as fixed-size chunks shared between copies. Copying it copies one pointer
// per chunk; appending to a copy clones at most the last chunk. The run's batch points
// grow by the million and are published to the views after every few frames: a plain
// QVector there is copied whole at the first append after each publish.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <vector>

namespace traindx {

template <typename T, int ChunkSize = 4096>
class ChunkedVector {
    using Chunk = std::vector<T>;

public:
    class const_iterator {
    public:
        using iterator_category = std::random_access_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = const T*;
        using reference = const T&;

        const_iterator() = default;
        const_iterator(const ChunkedVector* v, int i) : v_(v), i_(i) { }
        const T& operator*() const { return (*v_)[i_]; }
        const T* operator->() const { return &(*v_)[i_]; }
        const T& operator[](difference_type n) const { return (*v_)[int(i_ + n)]; }
        const_iterator& operator++() { ++i_; return *this; }
        const_iterator operator++(int) { auto old = *this; ++i_; return old; }
        const_iterator& operator--() { --i_; return *this; }
        const_iterator operator--(int) { auto old = *this; --i_; return old; }
        const_iterator& operator+=(difference_type n) { i_ += int(n); return *this; }
        const_iterator& operator-=(difference_type n) { i_ -= int(n); return *this; }
        friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
        friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
        friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
        friend difference_type operator-(const const_iterator& a, const const_iterator& b) { return a.i_ - b.i_; }
        friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.i_ == b.i_; }
        friend bool operator!=(const const_iterator& a, const const_iterator& b) { return a.i_ != b.i_; }
        friend bool operator<(const const_iterator& a, const const_iterator& b) { return a.i_ < b.i_; }
        friend bool operator>(const const_iterator& a, const const_iterator& b) { return a.i_ > b.i_; }
        friend bool operator<=(const const_iterator& a, const const_iterator& b) { return a.i_ <= b.i_; }
        friend bool operator>=(const const_iterator& a, const const_iterator& b) { return a.i_ >= b.i_; }
        int index() const { return i_; }

    private:
        const ChunkedVector* v_ = nullptr;
        int i_ = 0;
    };

    int size() const { return size_; }
    bool isEmpty() const { return size_ == 0; }
    const T& operator[](int i) const { return (*chunks_[std::size_t(i / ChunkSize)])[std::size_t(i % ChunkSize)]; }
    T& operator[](int i) { return writable(i / ChunkSize)[std::size_t(i % ChunkSize)]; }
    const T& last() const { return (*this)[size_ - 1]; }
    const T& first() const { return (*this)[0]; }
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size_}; }

    void append(const T& value)
    {
        if (size_ % ChunkSize == 0) {
            chunks_.push_back(std::make_shared<Chunk>());
            chunks_.back()->reserve(ChunkSize);
        }
        writable(int(chunks_.size()) - 1).push_back(value);
        ++size_;
    }

    // Before position `at`; what follows moves up by one, chunk by chunk.
    void insert(int at, const T& value)
    {
        if (at >= size_) {
            append(value);
            return;
        }
        if (size_ % ChunkSize == 0)
            chunks_.push_back(std::make_shared<Chunk>());
        T carried = value;
        for (int c = at / ChunkSize, offset = at % ChunkSize; c < int(chunks_.size()); ++c, offset = 0) {
            Chunk& chunk = writable(c);
            chunk.insert(chunk.begin() + offset, carried);
            if (int(chunk.size()) <= ChunkSize)
                break;
            carried = chunk.back();
            chunk.pop_back();
        }
        ++size_;
    }

    void clear()
    {
        chunks_.clear();
        size_ = 0;
    }

    // The chunks two copies share: what a copy costs is the rest.
    int sharedChunks(const ChunkedVector& other) const
    {
        int shared = 0;
        for (std::size_t c = 0; c < std::min(chunks_.size(), other.chunks_.size()); ++c)
            shared += chunks_[c] == other.chunks_[c];
        return shared;
    }

private:
    Chunk& writable(int c)
    {
        auto& chunk = chunks_[std::size_t(c)];
        if (chunk.use_count() > 1) {
            auto own = std::make_shared<Chunk>();
            own->reserve(ChunkSize + 1);
            own->assign(chunk->begin(), chunk->end());
            chunk = std::move(own);
        }
        return *chunk;
    }

    std::vector<std::shared_ptr<Chunk>> chunks_;
    int size_ = 0;
};

} // namespace traindx
