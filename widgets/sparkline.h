// A small line of values over time, for tables and inspectors.
#pragma once

#include <QVector>
#include <QWidget>

namespace traindx::widgets {

class Sparkline : public QWidget {
    Q_OBJECT
public:
    explicit Sparkline(QWidget* parent = nullptr);
    void setValues(const QVector<double>& values, const QString& what = QString());
    const QVector<double>& values() const { return m_values; }
    QSize sizeHint() const override { return {120, 22}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QVector<double> m_values;
};

} // namespace traindx::widgets
