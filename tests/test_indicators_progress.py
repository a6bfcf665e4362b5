"""Programme progress against the workspace's targets, on the Kretinga scenario (indicator_kit.py)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
from conftest import HUB_CONFIG
from drop_kit import SPC
from indicator_kit import BACKENDS, kretinga_warehouse
from sqlalchemy import Engine

from interchange.indicators.catalogue import load_catalogue
from interchange.indicators.progress import PROGRESS_COLUMNS, ProgressError, programme_progress, render_progress
from interchange.workspace.config import ConfigError, WorkspaceConfig, parse_config

CATALOGUE = load_catalogue()
# The Kretinga project's targets (issue 5), run over 2026-Q3 at SPC only, plus a family conference
# target the catalogue has no indicator for (progress makes one by the catalogue's rules).
PROGRAMME = f"""\
programmes:
  - code: kompleksines-kretinga
    name: Kompleksinių socialinių paslaugų plėtra Kretingos miesto gyventojams
    start: 2026-07-01
    end: 2026-09-30
    orgs: [{SPC}]
    long_term_persons: 50
    targets:
      - {{service: psychologist_child, persons: 10, contacts: 100}}
      - {{service: psychotherapist_adult, persons: 15, contacts: 150}}
      - {{service: therapeutic_group, sessions: 50, persons: 20}}
      - {{service: family_conference, persons: 4}}
      - {{service: legal_consultation, persons: 0}}
"""


@pytest.fixture(scope="module", params=BACKENDS)
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with kretinga_warehouse(request.param, tmp_path_factory) as engine:
        yield engine


def config(programmes: str = PROGRAMME) -> WorkspaceConfig:
    return parse_config(HUB_CONFIG + programmes)


def test_progress_shows_value_target_and_share_for_every_target(scenario: Engine) -> None:
    progress = programme_progress(scenario, CATALOGUE, config(), "kompleksines-kretinga")

    assert tuple(progress.columns) == PROGRESS_COLUMNS
    found = {(r.service, r.figure): (r.indicator, r.value, r.target) for r in progress.itertuples()}
    # SPC's records only: anna's psychotherapy at MIMC (L4) and fay's group at MIMC (H1) are not the programme's
    assert found == {
        ("psychologist_child", "persons"): ("psychologist_child_persons", 2, 10),
        ("psychologist_child", "contacts"): ("psychologist_child_consultations", 2, 100),
        ("psychotherapist_adult", "persons"): ("psychotherapist_adult_persons", 1, 15),
        ("psychotherapist_adult", "contacts"): ("psychotherapist_adult_consultations", 2, 150),
        ("therapeutic_group", "persons"): ("therapeutic_group_participants", 2, 20),
        ("therapeutic_group", "sessions"): ("therapeutic_group_meetings", 2, 50),
        ("family_conference", "persons"): ("target_family_conference_persons", 0, 4),
        ("legal_consultation", "persons"): ("legal_consultation_persons", 1, 0),
        ("", "long_term_persons"): ("integrated_services_long_term_persons", 2, 50),
    }
    shares = dict(zip(progress["indicator"], progress["share"], strict=True))
    assert shares["psychologist_child_persons"] == pytest.approx(0.2)
    assert shares["integrated_services_long_term_persons"] == pytest.approx(0.04)
    assert math.isnan(shares["legal_consultation_persons"])  # a target of 0 has no share
    assert set(progress["period"]) == {"2026-07-01 – 2026-09-30"}


def test_progress_renders_as_markdown_and_text_with_lithuanian_and_english_headers(scenario: Engine) -> None:
    progress = programme_progress(scenario, CATALOGUE, config(), "kompleksines-kretinga")

    markdown = render_progress(progress)
    text = render_progress(progress, markdown=False)

    lines = markdown.splitlines()
    assert lines[0] == "Programa / Programme kompleksines-kretinga (2026-07-01 – 2026-09-30)"
    assert lines[2].startswith("| Rodiklis / Indicator | Paslauga / Service |") and "Pasiekta / Achieved" in lines[2]
    assert ("| Vaikai, gavę individualias psichologo konsultacijas / Children who received individual psychologist "
            "consultations | psychologist_child | persons | 2 | 10 | 20% |") in lines
    assert len(lines) == 4 + len(progress)
    assert "Tikslas / Target" in text and "|" not in text.splitlines()[2]
    assert "20%" in text


def test_an_unknown_programme_or_service_is_a_clear_error(scenario: Engine) -> None:
    with pytest.raises(ProgressError, match=re.escape("no programme 'kompleksines' in the workspace (programmes: "
                                                      "kompleksines-kretinga)")):
        programme_progress(scenario, CATALOGUE, config(), "kompleksines")
    bad = PROGRAMME.replace("family_conference", "family_conferense")  # refused when interchange.yaml is read
    with pytest.raises(ConfigError, match=re.escape("programmes.0.targets.3.service: 'family_conferense' is not a "
                                                    "service code of the catalogue")):
        config(bad)
    group_contacts = PROGRAMME.replace("sessions: 50, persons: 20", "contacts: 50")
    with pytest.raises(ConfigError, match=re.escape("programmes.0.targets.2.contacts: therapeutic_group is a group "
                                                    "service, counted in sessions")):
        config(group_contacts)
