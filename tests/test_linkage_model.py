"""The person-matching model on records made by the real partner kit (keyed tokens, filters)."""

from __future__ import annotations

import base64
import logging
import re
from datetime import date

import pandas as pd
import pytest
from linkage_kit import (
    KEY,
    NEW_HOME,
    PARENTS,
    brothers,
    household,
    ona_records,
    person,
    probability,
    register,
    valid_code,
)

from interchange.demo.synthetic import make_people
from interchange.linkage.household_guard import HouseholdEvidence
from interchange.linkage.model import PAIR_COLUMNS, MatchSettings, prepare_records, score_pairs
from interchange.partner.bloom import BloomEncoder, to_text


@pytest.fixture(scope="module")
def pairs() -> pd.DataFrame:
    return score_pairs(ona_records())


def test_records_read_dictionary_encoded_score_alike(pairs: pd.DataFrame) -> None:
    # A national read keeps tokens and filters as Arrow dictionaries (each distinct value once).
    import pyarrow as pa

    records = ona_records()
    encoded = records.assign(**{
        column: pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(
            [pa.array(records[column].tolist(), pa.large_string()).dictionary_encode()])))
        for column in records.columns if column.endswith(("_token", "_bloom"))})
    pd.testing.assert_frame_equal(score_pairs(encoded), pairs)


def test_pairs_have_the_promised_shape(pairs: pd.DataFrame) -> None:
    assert tuple(pairs.columns) == PAIR_COLUMNS
    assert (pairs.uid_l < pairs.uid_r).all()
    assert pairs.match_probability.between(MatchSettings().min_probability, 1.0).all()
    assert set(pairs.method) <= {"pseudonym", "model"}


@pytest.mark.parametrize("other", ["moteru-centras:7", "dienos-centras:X9", "soc-parama:55"])
def test_same_person_at_three_agencies_links_without_a_code(pairs: pd.DataFrame, other: str) -> None:
    # dropped Lithuanian letters, maiden form of the surname, a typo in the surname
    assert probability(pairs, "kretingos-spc:A1", other) > 0.95
    assert probability(pairs, "moteru-centras:7", "dienos-centras:X9") > 0.95


def test_different_people_with_common_surname_and_birth_year_do_not_link(pairs: pd.DataFrame) -> None:
    assert probability(pairs, "kretingos-spc:A2", "soc-parama:56") < 0.5


def test_equal_pseudonyms_link_deterministically() -> None:
    code = valid_code("3600501123")
    records = pd.DataFrame([
        person("a:1", "Petras", "Kazlauskas", None, code=code),
        person("b:1", "P.", "Kazlauskis", None, code=code),  # the name spelled differently
        person("c:1", "Jonas", "Vaitkus", date(1970, 2, 2)),
    ])
    pairs = score_pairs(records)
    link = pairs[(pairs.uid_l == "a:1") & (pairs.uid_r == "b:1")].iloc[0]
    assert link.method == "pseudonym"
    assert link.match_probability == 1.0


def test_small_data_set_uses_default_parameters(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="interchange.linkage.model"):
        score_pairs(ona_records())
    assert "parameters default" in caplog.text


def test_failed_estimation_falls_back_to_defaults(caplog: pytest.LogCaptureFixture) -> None:
    # EM on nine records cannot be trusted; forcing it must not fail the run or the links.
    settings = MatchSettings(min_records_for_training=2, u_max_pairs=1e3)
    with caplog.at_level(logging.INFO, logger="interchange.linkage.model"):
        pairs = score_pairs(ona_records(), settings)
    assert probability(pairs, "kretingos-spc:A1", "moteru-centras:7") > 0.5


def test_records_with_pseudonyms_only_train_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    # Partners that send every person's pseudonym and no names (the national data set): EM has no
    # pair to train on, and a steward must not read "EM session failed" in every night's log.
    rows = []
    for n in range(30):
        code = valid_code(f"3{60 + n:02d}0501{n:03d}")
        rows += [person(f"a:{n}", "Jonas", "Vaitkus", None, code=code)]
        rows += [person(f"b:{n}", "Jonas", "Vaitkus", None, code=code)] if n % 3 == 0 else []
    records = pd.DataFrame(rows)
    records[[c for c in records.columns if c.endswith(("_token", "_bloom"))]] = None
    with caplog.at_level(logging.INFO):
        pairs = score_pairs(records, MatchSettings(min_records_for_training=2, u_max_pairs=100))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "EM session 1 not run: fewer than two records carry birth_date_token" in caplog.text
    assert sorted(zip(pairs.uid_l, pairs.uid_r, pairs.method, strict=True)) == sorted(
        (f"a:{n}", f"b:{n}", "pseudonym") for n in range(0, 30, 3))


def test_no_personal_data_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    records = ona_records()
    with caplog.at_level(logging.DEBUG, logger="interchange.linkage"):
        score_pairs(records)
    assert any(r.name.startswith("interchange.linkage") for r in caplog.records)  # it did log
    assert "jonait" not in caplog.text.lower()
    assert not re.search(r"[0-9a-f]{32}", caplog.text)  # no tokens or pseudonyms
    encoded = [c for c in records.columns if c.endswith(("_token", "_bloom", "_pseudonym"))]
    values = {v for c in encoded for v in records[c] if isinstance(v, str)}
    assert values
    assert not [v for v in values if v in caplog.text]


def test_empty_and_single_record_give_no_pairs() -> None:
    assert score_pairs(ona_records().head(1)).empty
    assert tuple(score_pairs(ona_records().head(0)).columns) == PAIR_COLUMNS


def test_larger_data_set_estimates_parameters_and_blocks(caplog: pytest.LogCaptureFixture) -> None:
    # 1,200 records: above the training and all-pairs thresholds, so u sampling, EM and the
    # standard blocking rules run; the second record of a person has no code and a typo.
    people = make_people(1_000, seed=3)
    rows = [person(f"a:{p.truth_id}", p.given_name, p.surname, None, code=p.code) for p in people]
    rows += [person(f"b:{p.truth_id}", p.given_name, p.surname[:-1] + "x", p.birth_date, sex=p.sex)
             for p in people[:200]]
    settings = MatchSettings(all_pairs_up_to=500, u_max_pairs=2e5)
    with caplog.at_level(logging.INFO, logger="interchange.linkage.model"):
        pairs = score_pairs(pd.DataFrame(rows), settings)
    assert "parameters estimated" in caplog.text
    found = sum(probability(pairs, f"a:{p.truth_id}", f"b:{p.truth_id}") > 0.9 for p in people[:200])
    assert found >= 190


def test_sql_dice_equals_the_kits_dice() -> None:
    # The model's SQL must give exactly the kit's Dice coefficient: over 16 integer words (as on
    # Spark) and over the DuckDB backend's view of the same words packed into one column.
    from interchange.linkage.backends import DuckDBBackend
    from interchange.linkage.bloom_columns import PACKED, PORTABLE, bits_column
    from interchange.partner.bloom import dice

    records = pd.DataFrame([person("a", "Šarūnė", "Jonaitė", None), person("b", "Šarūnas", "Jonaitis", None)])
    a, b = (base64.b64decode(text) for text in records.given_name_bloom)
    table = prepare_records(records)
    assert table[bits_column("given_name")].tolist() == [int.from_bytes(f, "big").bit_count() for f in (a, b)]
    backend = DuckDBBackend(MatchSettings())
    try:
        backend.register(table)
        found = {}
        for filters, source in ((PORTABLE, "person_records_prepared"), (PACKED, "person_records")):
            expression = filters.dice("given_name")
            for column in filters.columns("given_name"):
                expression = expression.replace(f"{column}_l", f"l.{column}").replace(f"{column}_r", f"r.{column}")
            found[filters] = backend.query(f"SELECT {expression} AS dice FROM {source} l, {source} r "
                                           "WHERE l.uid = 'a' AND r.uid = 'b'").dice.iloc[0]
    finally:
        backend.close()
    assert 0.5 < dice(a, b) < 1.0
    assert found == {PORTABLE: pytest.approx(dice(a, b)), PACKED: pytest.approx(dice(a, b))}


def test_mother_and_daughter_at_one_address_stay_two_people() -> None:
    pairs = score_pairs(household())
    assert probability(pairs, "spc:M", "spc:D") < 0.5
    assert probability(pairs, "mimc:7", "spc:D") < 0.5


def test_the_address_links_a_record_without_birth_date_and_a_misspelt_surname() -> None:
    pairs = score_pairs(household())
    assert probability(pairs, "spc:M", "mimc:7") > 0.95
    without_address = household().assign(street_token=None, street_bloom=None, house_number_token=None,
                                           locality_token=None, locality_bloom=None, postcode_token=None)
    assert probability(score_pairs(without_address), "spc:M", "mimc:7") < probability(pairs, "spc:M", "mimc:7")


def test_household_guard_holds_with_estimated_parameters() -> None:
    # 1,000 people with addresses and a second record for 200 of them (a typo in the surname),
    # so u sampling and EM run; a mother and daughter share an address and a surname root.
    people = make_people(1_000, seed=5)
    rows = [person(f"a:{p.truth_id}", p.given_name, p.surname, None, code=p.code,
                   address=(f"Gatvė {i % 97}", str(i % 41), f"Vietovė {i % 13}", f"{90000 + i % 500}"))
            for i, p in enumerate(people)]
    rows += [person(f"b:{p.truth_id}", p.given_name, p.surname[:-1] + "x", p.birth_date, sex=p.sex,
                    address=(f"Gatvė {i % 97}", str(i % 41), f"Vietovė {i % 13}", f"{90000 + i % 500}"))
             for i, p in enumerate(people[:200])]
    records = household(extra=rows)
    settings = MatchSettings(all_pairs_up_to=500, u_max_pairs=2e5)
    pairs = score_pairs(records, settings)
    assert probability(pairs, "spc:M", "spc:D") < 0.5
    found = sum(probability(pairs, f"a:{p.truth_id}", f"b:{p.truth_id}") > 0.9 for p in people[:200])
    assert found >= 190


def test_names_entered_the_wrong_way_round_link_to_the_right_household_member() -> None:
    # Two brothers at one address; a third agency typed Tomas's surname into the given-name
    # column and left out his birth date; a fourth swapped the names and misspelt one (a
    # swap with a typo needs the birth date: at one address it could be the brother's record).
    records = household(extra=[
        *brothers(),
        person("dc:4", "Jonaitis", "Tommas", date(1993, 2, 17), sex="male", address=PARENTS),
    ])
    pairs = score_pairs(records)
    assert probability(pairs, "spc:T", "mimc:9") > 0.95
    assert probability(pairs, "spc:T", "dc:4") > 0.95
    assert probability(pairs, "spc:J", "spc:T") < 0.5
    assert probability(pairs, "spc:J", "mimc:9") < 0.5
    assert probability(pairs, "spc:J", "dc:4") < 0.5


def test_swapped_names_are_not_evidence_without_the_name_pair() -> None:
    # Partners may leave the name pair out (docs/pseudonyms.md, section 6a): then a swapped
    # record without a birth date is only a surname-less stranger at the brothers' address.
    records = household(extra=brothers()).assign(name_pair_token=None, name_pair_bloom=None)
    pairs = score_pairs(records)
    assert probability(pairs, "spc:T", "mimc:9") < 0.5
    assert probability(pairs, "spc:J", "mimc:9") < 0.5


def test_married_and_maiden_forms_link_across_addresses_and_family_members_stay_apart() -> None:
    # Ona grew up as Jonaitytė at her parents' address with her father and sister; married,
    # she is Jonaitienė at a new address, where her husband Jonaitis lives too.
    records = household(extra=[
        person("spc:O1", "Ona", "Jonaitytė", date(1986, 8, 21), sex="female", address=PARENTS),
        person("spc:F", "Jonas", "Jonaitis", date(1958, 1, 5), sex="male", address=PARENTS),
        person("spc:S", "Rūta", "Jonaitytė", date(1991, 4, 2), sex="female", address=PARENTS),
        person("dc:O2", "Ona", "Jonaitienė", date(1986, 8, 21), sex="female", address=NEW_HOME),
        person("dc:H", "Petras", "Jonaitis", date(1984, 11, 30), sex="male", address=NEW_HOME),
        # The married form once more, birth date unknown, with a typo in the surname.
        person("mimc:O3", "Ona", "Jonaitene", None, sex="female", address=NEW_HOME),
    ])
    pairs = score_pairs(records)
    assert probability(pairs, "spc:O1", "dc:O2") > 0.95
    assert probability(pairs, "dc:O2", "mimc:O3") > 0.95
    for left, right in (("spc:O1", "spc:S"), ("spc:O1", "spc:F"), ("spc:F", "spc:S"),
                        ("dc:O2", "dc:H"), ("mimc:O3", "dc:H"), ("spc:F", "dc:H")):
        assert probability(pairs, left, right) < 0.5, (left, right)


def test_blocking_grows_with_the_population_without_the_birth_date_only_rule() -> None:
    from interchange.linkage.model_settings import blocking_rules

    birth_only = "l.birth_date_token = r.birth_date_token"
    settings = MatchSettings()
    assert blocking_rules(settings, 1_500) == ["1 = 1"]
    municipal = blocking_rules(settings, 40_000)
    assert birth_only in municipal and "l.name_pair_token = r.name_pair_token" in municipal
    national = blocking_rules(settings, 1_000_000)
    assert birth_only not in national
    assert f"{birth_only} AND l.municipality = r.municipality" in national


@pytest.mark.parametrize("cells", ["of any length", "all of a filter's length"])
def test_malformed_filters_are_read_as_missing(cells: str) -> None:
    # Cells of a filter's length (or empty) are decoded as one byte matrix, any other column
    # cell by cell: both must read the same cells as missing.
    import pyarrow as pa

    from interchange.linkage.bloom_columns import bits_column, decode_blooms

    good = to_text(BloomEncoder(KEY, "given_name").encode("ona"))
    same_length = [None, "", good[:-1] + "A", good[:-2] + "==", "!" + good[1:], good[:80] + "=" + good[81:]]
    others = ["not base64!", good[:-4], "Ą" * len(good)]
    texts = pd.Series([good, *same_length, *(others if cells == "of any length" else [])],
                      dtype=pd.ArrowDtype(pa.large_string()))
    for column in (texts, texts.astype(object)):
        words = decode_blooms(column, "given_name")
        assert words[bits_column("given_name")].isna().tolist() == [False] + [True] * (len(texts) - 1)
        assert (words.drop(columns=bits_column("given_name")).iloc[1:] == 0).all().all()
        assert words.iloc[0, 0] == int.from_bytes(base64.b64decode(good)[:8], "big", signed=True)


def test_a_move_counts_as_one_disagreement_not_four() -> None:
    from interchange.linkage.model import count_moves_once

    pairs = pd.DataFrame({
        "uid_l": ["a:1", "a:2"], "uid_r": ["b:1", "b:2"], "match_weight": [1.0, 1.0],
        "match_probability": [0.5, 0.5],
        # moved: street, house, place and municipality all differ; the other pair shares the street
        "mw_street": [-5.0, 8.0], "mw_house_number": [-4.0, -4.0], "mw_place": [-5.5, -5.5],
        "mw_municipality": [-4.3, -4.3],
    })
    adjusted = count_moves_once(pairs)
    assert adjusted.match_weight.tolist() == pytest.approx([1.0 + 5.0 + 4.0 + 4.3, 1.0])
    assert adjusted.match_probability.iloc[0] == pytest.approx(1 / (1 + 2 ** -14.3))


def test_a_woman_who_moved_to_another_municipality_is_still_one_person() -> None:
    records = household(extra=[
        person("spc:R1", "Rasa", "Kairienė", date(1979, 3, 3), sex="female", address=PARENTS),
        person("dc:R2", "Rasa", "Kairiene", date(1979, 3, 3), sex="female", municipality="LT-21",
               address=NEW_HOME),
    ])
    assert probability(score_pairs(records), "spc:R1", "dc:R2") > 0.95


def test_a_move_inside_the_municipality_counts_once_too() -> None:
    from interchange.linkage.model import count_moves_once

    pairs = pd.DataFrame({
        "uid_l": ["a:1", "a:2"], "uid_r": ["b:1", "b:2"], "match_weight": [1.0, 1.0],
        "match_probability": [0.5, 0.5],
        # moved across town: street, house and place differ, the municipality agrees (and keeps its weight);
        # the other pair is a moved record whose place is missing: still one move
        "mw_street": [-5.0, -5.0], "mw_house_number": [-4.0, -4.0], "mw_place": [-5.5, 0.0],
        "mw_municipality": [0.1, 0.1],
    })
    adjusted = count_moves_once(pairs)
    assert adjusted.match_weight.tolist() == pytest.approx([1.0 + 5.0 + 4.0, 1.0 + 4.0])


def test_match_share_is_the_expected_twice_mistyped_pairs_over_those_observed() -> None:
    # 120 * 100 / 600 = 20 of the same person expected to disagree on both.
    assert HouseholdEvidence(both=600, given_only=120, birth_only=100, neither=25).match_share(100) == 0.8
    assert HouseholdEvidence(both=600, given_only=120, birth_only=100, neither=10).match_share(100) == 1.0
    assert HouseholdEvidence(both=600, given_only=120, birth_only=100, neither=0).match_share(100) == 1.0
    assert HouseholdEvidence(both=99, given_only=50, birth_only=50, neither=1).match_share(100) == 0.0


def test_without_households_a_twice_mistyped_record_at_the_same_address_links() -> None:
    # No one shares a home: the data show the shared address is worth its full weight.
    records, twice_wrong, _ = register(siblings=False)
    pairs = score_pairs(records)
    assert pairs.attrs["household_share"] > 0.8  # B * C / A expects most "neither" pairs (sampling noise)
    assert len(twice_wrong) >= 50
    linked = sum(probability(pairs, a, b) > 0.5 for a, b in twice_wrong)
    assert linked >= 0.9 * len(twice_wrong)


def test_with_households_siblings_stay_apart_and_mistyped_records_still_link() -> None:
    records, twice_wrong, sibling_pairs = register(siblings=True)
    pairs = score_pairs(records)
    assert 0.0 < pairs.attrs["household_share"] < 0.1  # 600 sibling pairs; ~80 twice-mistyped expected
    assert [pair for pair in sibling_pairs if probability(pairs, *pair) > 0.5] == []
    # The price: a record mistyped in both the given name and the birth date looks like a
    # sibling and is not linked; one mistake alone still links.
    assert sum(probability(pairs, a, b) > 0.5 for a, b in twice_wrong) <= 0.1 * len(twice_wrong)
    once = [(f"a:{i}", f"b:{i}") for i in range(900) if (f"a:{i}", f"b:{i}") not in set(twice_wrong)]
    assert sum(probability(pairs, a, b) > 0.5 for a, b in once) >= 0.97 * len(once)
