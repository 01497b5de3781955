#include "change_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace traindx {

namespace {

using Kind = LiveChange::Kind;

bool needsLayer(Kind kind)
{
    return kind == Kind::Reinitialise || kind == Kind::Freeze || kind == Kind::Unfreeze || kind == Kind::AddToOptimizer;
}

bool needsValue(Kind kind)
{
    return kind == Kind::SetLearningRate || kind == Kind::ScaleLearningRate || kind == Kind::ClipGradientNorm;
}

} // namespace

ChangeDialog::ChangeDialog(const RunState& run, QWidget* parent)
    : QDialog(parent)
    , m_kind(new QComboBox(this))
    , m_value(new QLineEdit(this))
    , m_valueLabel(new QLabel(this))
    , m_layer(new QComboBox(this))
    , m_scheme(new QComboBox(this))
    , m_optimizer(new QComboBox(this))
    , m_when(new QComboBox(this))
    , m_at(new QSpinBox(this))
    , m_preview(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Change the training"));
    m_kind->addItem(tr("Set the learning rate"), int(Kind::SetLearningRate));
    m_kind->addItem(tr("Scale the learning rate"), int(Kind::ScaleLearningRate));
    m_kind->addItem(tr("Re-initialise a layer"), int(Kind::Reinitialise));
    m_kind->addItem(tr("Reset the optimizer's state"), int(Kind::ResetOptimizerState));
    m_kind->addItem(tr("Clip gradients by global norm"), int(Kind::ClipGradientNorm));
    m_kind->addItem(tr("Freeze a layer"), int(Kind::Freeze));
    m_kind->addItem(tr("Unfreeze a layer"), int(Kind::Unfreeze));
    m_kind->addItem(tr("Give a layer to the optimizer"), int(Kind::AddToOptimizer));

    for (const Layer& layer : run.model.layers)
        if (layer.leaf && layer.parameterCount() > 0)
            m_layer->addItem(layer.displayName(), layer.index >= 0 ? QString::number(layer.index) : layer.path);
    m_scheme->addItem(tr("Kaiming normal (before ReLU)"), QStringLiteral("kaiming_normal"));
    m_scheme->addItem(tr("Kaiming uniform (before ReLU)"), QStringLiteral("kaiming_uniform"));
    m_scheme->addItem(tr("Xavier normal (before Tanh, Sigmoid)"), QStringLiteral("xavier_normal"));
    m_scheme->addItem(tr("Xavier uniform (before Tanh, Sigmoid)"), QStringLiteral("xavier_uniform"));
    m_optimizer->addItem(run.model.optimizers.size() > 1 ? tr("every optimizer") : tr("the optimizer"), 0);
    if (run.model.optimizers.size() > 1)
        for (int k = 0; k < run.model.optimizers.size(); ++k)
            m_optimizer->addItem(run.model.optimizers[k].name, k + 1);
    m_when->addItem(tr("at the next boundary"));
    m_when->addItem(tr("once this many steps are done"));
    m_when->addItem(tr("once this many epochs have ended"));
    m_at->setRange(0, 1 << 30);
    m_at->setValue(int(std::min<qint64>(run.step, 1 << 30)));
    m_value->setPlaceholderText(QStringLiteral("0.001"));
    m_preview->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_preview->setObjectName(QStringLiteral("change-preview"));

    auto* form = new QFormLayout(this);
    form->addRow(tr("Change:"), m_kind);
    form->addRow(m_valueLabel, m_value);
    form->addRow(tr("Layer:"), m_layer);
    form->addRow(tr("Initialisation:"), m_scheme);
    form->addRow(tr("Optimizer:"), m_optimizer);
    form->addRow(tr("When:"), m_when);
    form->addRow(QString(), m_at);
    form->addRow(tr("As traindx-cli --apply:"), m_preview);
    form->addRow(m_buttons);
    QPushButton* apply = m_buttons->addButton(tr("Apply"), QDialogButtonBox::AcceptRole);
    apply->setObjectName(QStringLiteral("apply-change"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (QComboBox* box : {m_kind, m_layer, m_scheme, m_optimizer, m_when})
        connect(box, &QComboBox::currentIndexChanged, this, &ChangeDialog::update);
    connect(m_value, &QLineEdit::textChanged, this, &ChangeDialog::update);
    connect(m_at, &QSpinBox::valueChanged, this, &ChangeDialog::update);
    update();
}

QString ChangeDialog::text() const
{
    const auto kind = Kind(m_kind->currentData().toInt());
    const QString layer = m_layer->currentData().toString();
    const QString value = m_value->text().trimmed();
    QString text;
    switch (kind) {
    case Kind::SetLearningRate: text = QStringLiteral("lr=") + value; break;
    case Kind::ScaleLearningRate: text = QStringLiteral("lr*") + value; break;
    case Kind::Reinitialise: text = QStringLiteral("reinit=%1:%2").arg(layer, m_scheme->currentData().toString()); break;
    case Kind::ResetOptimizerState: text = QStringLiteral("reset_optimizer"); break;
    case Kind::Freeze: text = QStringLiteral("freeze=") + layer; break;
    case Kind::Unfreeze: text = QStringLiteral("unfreeze=") + layer; break;
    case Kind::ClipGradientNorm: text = QStringLiteral("clip=") + (value.isEmpty() ? QStringLiteral("off") : value); break;
    case Kind::AddToOptimizer: text = QStringLiteral("optimize=") + layer; break;
    }
    if (m_when->currentIndex() == 1)
        text += QStringLiteral("@step:%1").arg(m_at->value());
    else if (m_when->currentIndex() == 2)
        text += QStringLiteral("@epoch:%1").arg(m_at->value());
    return text;
}

bool ChangeDialog::change(LiveChange* change, QString* error) const
{
    const auto kind = Kind(m_kind->currentData().toInt());
    if (needsLayer(kind) && m_layer->count() == 0) {
        *error = tr("the model has no layer with parameters");
        return false;
    }
    if (!parseLiveChange(text(), change, error))
        return false;
    change->optimizer = m_optimizer->currentData().toInt();
    return true;
}

void ChangeDialog::update()
{
    const auto kind = Kind(m_kind->currentData().toInt());
    m_valueLabel->setText(kind == Kind::ScaleLearningRate ? tr("Factor:")
                          : kind == Kind::ClipGradientNorm ? tr("Largest norm (empty: off):")
                                                           : tr("Learning rate:"));
    m_value->setEnabled(needsValue(kind));
    m_layer->setEnabled(needsLayer(kind));
    m_scheme->setEnabled(kind == Kind::Reinitialise);
    m_optimizer->setEnabled(kind == Kind::SetLearningRate || kind == Kind::ScaleLearningRate || kind == Kind::AddToOptimizer);
    m_at->setEnabled(m_when->currentIndex() > 0);
    LiveChange parsed;
    QString error;
    const bool valid = change(&parsed, &error);
    m_preview->setText(valid ? QStringLiteral("<code>%1</code>").arg(text().toHtmlEscaped())
                             : QStringLiteral("<span style='color:#c62828'>%1</span>").arg(error.toHtmlEscaped()));
    for (QAbstractButton* button : m_buttons->buttons())
        if (m_buttons->buttonRole(button) == QDialogButtonBox::AcceptRole)
            button->setEnabled(valid);
}

} // namespace traindx
