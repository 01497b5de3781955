// poor_initialization: initial weights whose variance is far from the fan-in rule for the
// activation that follows, reported once training shows a symptom they can cause — so
// that a bad initialisation is named beside any other real cause (a learning rate far too
// high), each with its own evidence — or when the very first loss is ten times what a
// model that knows nothing scores. A custom initialisation of a model that trains well
// is left alone.
#include "rule.h"

#include <cmath>

namespace traindx {

namespace {

bool symptomShown(const Observation& o)
{
    auto shows = [&o](const Finding& f) { return f.isFault() && roleOf(f.symptom) != Role::Setup && o.current(f); };
    if (o.fresh && std::any_of(o.fresh->begin(), o.fresh->end(), shows))
        return true;
    return std::any_of(o.run.findings.begin(), o.run.findings.end(), shows);
}

class PoorInitializationRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!symptomShown(o) && !firstLossFarAboveChance(o))
            return;
        const Checkers checkers(o.run, o.facts, o.thresholds);
        for (int layer : o.facts.parametric()) {
            const CheckResult init = checkers.initialization(layer);
            if (!init.fired)
                continue;
            Finding f = findingAt(o, Symptom::PoorInitialization, layer, Location::Weights);
            f.summary = init.reason;
            f.evidence = init.evidence;
            candidates.append({f});
            return; // the first such layer in forward order; later ones usually share the scheme
        }
    }

    // Named for symptoms that have all cleared since (a plateau training left): the
    // initialisation was a choice training coped with.
    bool recovered(const Observation& o, Finding& f) const override
    {
        if (symptomShown(o) || firstLossFarAboveChance(o))
            return false;
        f.summary += QStringLiteral("; the symptoms it was named for have cleared since");
        return true;
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        if (!a.byInitialization(f, f.layer))
            a.set(f, FixClass::ChangeInitialization, f.summary, QStringLiteral("initialisation checker"));
    }
};

const RegisterRule registered {{Symptom::PoorInitialization, Role::Setup, 9, Once::PerSymptom,
                                "initial weights far from the fan-in rule, once training shows a symptom",
                                {QStringLiteral("init_variance_factor")},
                                [] { return std::make_unique<PoorInitializationRule>(); }, {}, true}};

} // namespace

} // namespace traindx
