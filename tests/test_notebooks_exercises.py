""""Predict before you run": a student's pick is checked against what was measured."""

import pytest

from archlab.notebook.exercises import OUTCOMES, Prediction, restarted, user_outcome


def test_a_pick_is_checked_against_the_measurement_not_against_a_typed_answer():
    question = Prediction("which restart?", ["nothing", "web", "worker"])
    buttons = question.widget().children[1]
    buttons.value = "web"
    assert question.check("web") == "right; measured: web"
    buttons.value = "nothing"
    assert question.check("web") == "not quite: you predicted nothing; measured: web"


def test_the_answer_stays_hidden_until_the_student_picks_one():
    """Executed unattended, a notebook stores the check's output and the widget's state: neither
    may give the answer away. A pick made after the measurement shows the verdict at once."""
    question = Prediction("which restart?", ["nothing", "web", "worker"])
    view = question.widget()
    shown = question.check("web")
    feedback = view.children[2]
    assert "web" not in shown and "web" not in feedback.value and "pick your answer" in shown
    view.children[1].value = "worker"
    assert feedback.value == "not quite: you predicted worker; measured: web"


def test_a_measurement_outside_the_choices_or_a_question_without_real_choices_is_refused():
    with pytest.raises(ValueError, match="none of the choices"):
        Prediction("which restart?", ["nothing", "web"]).check("broker")
    with pytest.raises(ValueError, match="two or more distinct choices"):
        Prediction("which restart?", ["web", "web"])


@pytest.mark.parametrize("seen, outcome", [
    ("200: predictions as usual, model v2", "200"),
    ("503: the model service at http://127.0.0.1:1 is not reachable", "503"),
    ("no answer at all (ConnectionRefusedError): the app itself is down", "no answer"),
    ("202: the request is accepted and stored", "202"),
    ("instance 1: 200: predictions as usual, model v2; instance 2: no answer at all (x)", "200"),
])
def test_what_a_user_saw_becomes_one_of_the_answers(seen, outcome):
    assert user_outcome(seen) == OUTCOMES[outcome]


def test_an_unknown_description_is_not_forced_into_an_answer():
    with pytest.raises(ValueError, match="no known outcome"):
        user_outcome("418: a teapot")


def test_restarted_reads_the_update_report():
    assert restarted({"restarted": []}) == "nothing"
    assert restarted({"restarted": ["model-service"]}) == "model-service"
