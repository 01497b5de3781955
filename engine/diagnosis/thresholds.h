// Every threshold of the diagnosis in one table, with its default and where the default
// comes from. Overridable by name from a settings file or the command line.
#pragma once

#include <QMap>
#include <QString>
#include <QVector>

namespace traindx {

class Thresholds {
public:
    struct Entry {
        QString name;
        double value;
        QString meaning;
    };

    Thresholds();

    double operator[](const QString& name) const;
    // False (and `error` set) for an unknown name or a value that is not a number.
    bool set(const QString& name, const QString& value, QString* error);
    // Lines "name = value"; '#' starts a comment.
    bool load(const QString& path, QString* error);
    const QVector<Entry>& entries() const { return m_entries; }
    QMap<QString, double> overridden() const;

private:
    QVector<Entry> m_entries;
    QMap<QString, double> m_defaults;
};

} // namespace traindx
