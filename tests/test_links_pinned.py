"""Links shared before the issue-16 redesign (the Lessons, the Lecture's links, the README's examples) are
pinned here as literal text: the code must still write exactly these addresses, and each must still parse to
the settings it named. tests/test_settings.py opens the Playground ones in the app."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest

from dropviz.config import RunConfig, from_query_params
from dropviz.experiments import EXPERIMENTS
from dropviz.lecture import SECTIONS, experiment_query_params
from dropviz.lessons import LESSONS_BY_KEY

# Written by the code at 15552c7 (before the redesign), copied by hand.
LESSON_LINKS = {
    "overfitting": "?",
    "slide_p": "?sweep=1",
    "small_p": "?keep_p=0.1",
    "dropconnect": "?hidden=64%2C64&method=dropconnect",
    "gaussian": "?method=gaussian",
    "digits": "?dataset=digits&train_size=300&hidden=256%2C256&keep_p_input=0.8&epochs=200",
}
LECTURE_LINKS = {
    ("coadaptation", "coadaptation"): "dataset=digits&hidden=256%2C256&method=dropout&keep_p=0.5",
    ("what-is-dropout", "playground"): "method=dropout&keep_p=0.5",
    ("train-vs-inference", "inference"): "method=dropout&keep_p=0.5",
    (
        "mnist",
        "experiments",
    ): "exp_name=Table+2%3A+Standard+net+vs+dropout%2C+max-norm%2C+Gaussian+dropout%2C+DropConnect",
    ("effect-of-p", "playground"): "keep_p=0.1&method=dropout",
    ("data-size", "experiments"): "exp_name=Figure+10%3A+Training-set+size%2C+with+and+without+dropout",
    ("data-size", "playground"): "train_size=30&hidden=256%2C256&method=dropout&keep_p=0.5",
    ("implementation", "inference"): "scaling=weight-scaling&method=dropout",
    ("mathematics", "theory"): "",
}


@pytest.mark.parametrize("key", sorted(LESSON_LINKS))
def test_a_lesson_still_writes_the_link_it_wrote(key):
    assert LESSONS_BY_KEY[key].url() == LESSON_LINKS[key]


@pytest.mark.parametrize("where", sorted(LECTURE_LINKS))
def test_a_lecture_link_still_writes_the_address_it_wrote(where):
    section_id, page = where
    links = {link.page: link for section in SECTIONS if section.id == section_id for link in section.links}
    assert urlencode(links[page].query_params()) == LECTURE_LINKS[where]


def test_old_links_parse_to_the_settings_they_name():
    for text, expected in (
        ("keep_p=0.3", {"keep_p": 0.3}),  # README: /playground?keep_p=0.3 for every visitor
        ("hidden=64%2C64&method=dropconnect", {"hidden": (64, 64), "method": "dropconnect"}),
        ("dataset=digits&train_size=300&hidden=256%2C256&keep_p_input=0.8&epochs=200", {"epochs": 200}),
        ("scaling=weight-scaling&method=dropout", {"scaling": "weight-scaling", "method": "dropout"}),
    ):
        config, notices = from_query_params(dict(parse_qsl(text)))
        assert notices == []
        assert all(getattr(config, name) == value for name, value in expected.items())
        named = {name for name, _ in parse_qsl(text)}  # the rest stays at the defaults
        assert all(
            getattr(config, name) == getattr(RunConfig(), name) for name in RunConfig.model_fields if name not in named
        )


def test_an_experiment_link_still_names_the_experiment_as_before():
    assert experiment_query_params("table2") == {
        "exp_name": "Table 2: Standard net vs dropout, max-norm, Gaussian dropout, DropConnect"
    }
    assert {f"{spec.paper_ref}: {spec.title}" for spec in EXPERIMENTS.values()} >= {
        "Figure 9a: Keep probability p with n fixed",
        "Figure 10: Training-set size, with and without dropout",
    }
