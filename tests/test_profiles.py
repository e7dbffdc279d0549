"""Requirement profiles and the decision lab decide from the measured results alone: change a
measured number and the verdict changes; leave one out and the verdict says "not measured".

`data/results_sample.json` is a real `archlab compare --quick` run (2 shared CPUs), its raw samples
and timelines cut to five entries each; the summaries are those the full run computed. Its
footprint, drill and second-app fields are empty (not measured by that run); tests that need them
add them.
"""

import copy
import json
from pathlib import Path

import pytest

from archlab.notebook.decision import UPDATE_RATES, decide, decision_lab
from archlab.report.profiles import PROFILES, Requirement, rank_columns, verdict, verdicts

SAMPLE = Path(__file__).parent / "data" / "results_sample.json"


@pytest.fixture
def results() -> dict:
    return json.loads(SAMPLE.read_text())


def _profile(results: dict, words: str):
    return next(v for v in verdicts(results) if words in v.name)


def _p99(results: dict, name: str) -> float:
    return results["architectures"][name]["latency"]["summary_ms"]["p99"]


def _with(results: dict, part: str, values: dict[str, dict]) -> dict:
    """A copy of `results` with `part` (drill, footprint, second_app) of each named architecture set."""
    changed = copy.deepcopy(results)
    for name, value in values.items():
        changed["architectures"][name][part] = value
    return changed


def test_every_profile_has_a_verdict_covering_every_architecture(results):
    found = verdicts(results)
    assert [v.name for v in found] == [p.name for p in PROFILES]
    for v in found:
        assert {*v.fits, *v.fails, *v.not_measured} == set(results["architectures"])
        assert set(v.best) <= set(v.fits)


def test_latency_profile_follows_the_measured_p99(results):
    v = _profile(results, "within 50 ms")
    assert set(v.fits) == {n for n in results["architectures"] if _p99(results, n) <= 50}
    assert v.fails  # the sample's async answers in about half a second
    slowest = max(results["architectures"], key=lambda n: _p99(results, n))
    assert "required at most 50 ms" in v.fails[slowest]
    fastest = min(results["architectures"], key=lambda n: _p99(results, n))
    assert v.best == [fastest]


def test_raising_one_p99_above_the_budget_drops_that_architecture(results):
    name = _profile(results, "within 50 ms").best[0]
    slower = copy.deepcopy(results)
    slower["architectures"][name]["latency"]["summary_ms"]["p99"] = 75
    v = _profile(slower, "within 50 ms")
    assert name not in v.fits and name not in v.best
    assert v.fails[name] == "p99 latency 75 ms, required at most 50 ms"


def test_a_requirement_nothing_meets_says_so(results):
    v = verdict(results, Requirement(p99_ms=0.001))
    assert v.fits == {} and v.best == [] and set(v.fails) == set(results["architectures"])
    assert "  best fit: none (no architecture measured in this run fits)" in v.lines()


def test_hourly_updates_drop_an_architecture_that_failed_requests_during_its_update(results):
    failing = {n for n, a in results["architectures"].items() if a["update"]["failed"] > 0}
    assert failing  # the sample's embedded app restarts
    v = _profile(results, "hourly model updates")
    assert set(v.fails) == failing
    name = sorted(failing)[0]
    assert f"requests failed during the update {results['architectures'][name]['update']['failed']}," in v.fails[name]

    repaired = copy.deepcopy(results)
    repaired["architectures"][name]["update"]["failed"] = 0
    assert name in _profile(repaired, "hourly model updates").fits


def test_an_update_that_never_converged_does_not_fit_frequent_updates(results):
    name = _profile(results, "hourly model updates").best[0]
    stuck = copy.deepcopy(results)
    stuck["architectures"][name]["update"]["cost_s"] = None
    v = _profile(stuck, "hourly model updates")
    assert "update switch time never (did not converge)" in v.fails[name]


def test_review_profile_reads_the_declared_review_gate(results):
    v = _profile(results, "reviewed by a person")
    gated = {n for n, a in results["architectures"].items() if a["capabilities"]["review_gate"]}
    assert set(v.fits) == gated and gated
    name = next(n for n in results["architectures"] if n not in gated)
    assert v.fails[name] == "predictions reviewed before use: no, required yes"

    opened = copy.deepcopy(results)
    opened["architectures"][name]["capabilities"]["review_gate"] = True
    assert name in _profile(opened, "reviewed by a person").fits


def test_missing_inputs_are_not_measured_never_guessed(results):
    v = _profile(results, "bad model must never reach")
    assert v.fits == {} and v.fails == {} and v.best == []
    assert all("not measured in this run (drill.bad_answers)" in why for why in v.not_measured.values())
    assert "  best fit: not measured in this run" in v.lines()


def test_drill_bad_answers_decide_the_bad_model_profile(results):
    names = list(results["architectures"])
    drilled = _with(results, "drill", {n: {"bad_answers": 0, "rollback_s": 1.0 + i} for i, n in enumerate(names)})
    v = _profile(drilled, "bad model must never reach")
    assert set(v.fits) == set(names)
    assert v.best == [names[0]]  # the fastest rollback

    leaky = _with(drilled, "drill", {names[0]: {"bad_answers": 5, "rollback_s": 1.0}})
    v = _profile(leaky, "bad model must never reach")
    assert names[0] not in v.fits
    assert v.fails[names[0]] == "answers users got from the bad model (under its best guard, if any) 5, required exactly 0"
    assert v.best == [names[1]]


def test_a_guard_that_kept_the_bad_model_from_users_meets_the_bad_model_profile(results):
    names = list(results["architectures"])
    leaky = _with(results, "drill", {n: {"bad_answers": 5, "rollback_s": 1.0} for n in names})
    canary = {"guard": "canary", "bad_answers": 1}
    shadow = {"guard": "shadow", "bad_answers": 0}
    guarded = _with(leaky, "drill", {names[0]: {"bad_answers": 5, "rollback_s": 1.0, "guards": [canary, shadow]},
                                     names[1]: {"bad_answers": 5, "rollback_s": 1.0, "guards": [canary]}})
    v = _profile(guarded, "bad model must never reach")
    assert set(v.fits) == {names[0]}  # its shadow: no user saw the bad model's answers
    assert v.fails[names[1]].startswith("answers users got from the bad model (under its best guard, if any) 1,")


def test_without_the_secondary_measure_every_fit_is_as_good(results):
    drilled = _with(results, "drill", {n: {"bad_answers": 0} for n in results["architectures"]})
    v = _profile(drilled, "bad model must never reach")
    assert v.best == list(results["architectures"])
    assert v.prefer == "time to roll the bad model back not measured in this run: every fit is as good"


def test_one_architecture_measured_the_others_not(results):
    name = list(results["architectures"])[-1]
    v = _profile(_with(results, "drill", {name: {"bad_answers": 0}}), "bad model must never reach")
    assert list(v.fits) == [name] and v.best == [name]
    assert len(v.not_measured) == len(results["architectures"]) - 1


def test_a_variant_that_could_not_run_is_reported_as_not_measured(results):
    results["unavailable"] = {"api-amqp-2": "RabbitMQ is not running at 127.0.0.1:5672"}
    v = _profile(results, "within 50 ms")
    assert v.not_measured["api-amqp-2"] == "not measured in this run: RabbitMQ is not running at 127.0.0.1:5672"


def test_five_applications_fit_where_an_update_restarts_no_app_best_by_copies(results):
    names = list(results["architectures"])
    restarts, shares, copies = names[0], names[1], names[2]
    second = {n: {"model_copies": 2, "apps_restarted": 0} for n in names}
    second[restarts] = {"model_copies": 2, "apps_restarted": 2}
    second[shares] = {"model_copies": 1, "apps_restarted": 0}
    footprint = {n: {"model_copies": 1} for n in names}
    measured = _with(_with(results, "second_app", second), "footprint", footprint)
    v = _profile(measured, "five applications")
    assert v.fails[restarts].startswith("applications rebuilt or restarted by an update, of two measured 2")
    assert copies in v.fits
    assert v.best == [shares]  # 1 copy for five apps; the others 1 + 4 x 1 = 5
    assert v.prefer == "lowest model copies for 5 applications"


def test_copies_for_more_apps_count_from_the_copies_measured_on_the_same_footing(results):
    """Two replicas hold 2 copies, 3 with the second app: each further app adds 1, not 2 (the footprint's
    single serving instance is another footing)."""
    from archlab.report.profiles import model_copies_for

    arch = {"footprint": {"model_copies": 1}, "second_app": {"model_copies_alone": 2, "model_copies": 3}}
    assert model_copies_for(5).value(arch) == 2 + 4 * 1
    del arch["second_app"]["model_copies_alone"]  # results written before it was recorded
    assert model_copies_for(5).value(arch) == 1 + 4 * 2


def test_rank_columns_orders_from_best_ignoring_missing_values(results):
    ranks = rank_columns(results)
    by_p99 = sorted(results["architectures"], key=lambda n: _p99(results, n))
    assert [ranks["p99_ms"][n] for n in by_p99] == list(range(1, len(by_p99) + 1))
    assert "bad_answers" not in ranks  # no architecture has it in the sample

    failed = {n: a["update"]["failed"] for n, a in results["architectures"].items()}
    assert all(ranks["update_failed"][n] == 1 for n, f in failed.items() if f == min(failed.values()))  # ties share
    assert ranks["review_gate"] == {n: 1 if a["capabilities"]["review_gate"] else 2
                                    for n, a in results["architectures"].items()}  # higher is better

    one, two = list(results["architectures"])[:2]
    footprints = {one: {"rss_mib": {"web": 80.0, "total": 80.0}, "processes": [{"pid": 1}]},
                  two: {"rss_mib": {"web": 60.0, "model-service": 70.0, "total": 130.0}, "processes": [{}, {}]}}
    ranks = rank_columns(_with(results, "footprint", footprints))
    assert ranks["rss_mib"] == {one: 1, two: 2}
    assert ranks["processes"] == {one: 1, two: 2}  # a list of processes counts by its length


@pytest.mark.parametrize(("words", "sliders"), [
    ("within 50 ms", {"p99_ms": 50, "updates": "a month"}),
    ("hourly model updates", {"updates": "an hour", "failed_per_day": 0}),
    ("reviewed by a person", {"human_review": True}),
])
def test_the_decision_lab_answers_as_the_profile_does(results, words, sliders):
    profile, lab = _profile(results, words), decide(results, **sliders)
    assert (lab.fits, lab.fails, lab.not_measured, lab.best) == (profile.fits, profile.fails, profile.not_measured,
                                                                 profile.best)


def test_the_decision_lab_changes_with_the_update_rate(results):
    """A restart that fails some requests is tolerable monthly within a daily allowance, not hourly."""
    name = next(n for n, a in results["architectures"].items() if a["update"]["failed"] > 0)
    allowance = results["architectures"][name]["update"]["failed"]  # failed requests a day
    assert name in decide(results, updates="a month", failed_per_day=allowance).fits
    assert name in decide(results, updates="an hour", failed_per_day=allowance).fails


def test_the_decision_lab_refuses_an_unknown_update_rate(results):
    with pytest.raises(ValueError, match="updates='hourly': expected one of never, a month"):
        decide(results, updates="hourly")


@pytest.mark.parametrize(("sliders", "message"), [
    ({"p99_ms": 0}, "p99_ms=0: a positive number of ms, or None"),
    ({"applications": 0}, "applications=0: 1 or more"),
    ({"updates": "a day", "failed_per_day": -1}, "failed_per_day=-1: 0 or more, or None"),
])
def test_the_decision_lab_refuses_values_out_of_range(results, sliders, message):
    with pytest.raises(ValueError, match=message):
        decide(results, **sliders)


def test_the_lab_widgets_offer_every_requirement(results):
    lab = decision_lab(results)
    descriptions = [control.description for control in lab.children[:-1]]
    assert descriptions == ["p99 budget", "model update", "failed requests a day OK", "applications",
                            "a person reviews every prediction", "a bad model must never reach a user"]
    assert lab.children[1].options == tuple(UPDATE_RATES)


def test_moving_a_control_redraws_the_verdict_decide_gives(results, capsys):
    """Outside a kernel the lab's output area prints to stdout, so the redraw can be read here."""
    lab = decision_lab(results)
    capsys.readouterr()
    review = next(c for c in lab.children if c.description == "a person reviews every prediction")
    review.value = True
    expected = decide(results, p99_ms=5, updates="a month", human_review=True)
    assert "\n".join(expected.lines()) in capsys.readouterr().out


def test_no_requirement_fits_everything_measured(results):
    v = verdict(results, Requirement())
    assert set(v.fits) == set(results["architectures"]) and v.requirement == "nothing measured is required"
