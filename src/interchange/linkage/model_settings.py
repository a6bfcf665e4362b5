"""The person-matching model: its settings, comparisons, blocking rules and default m/u values.

Everything here is plain data and SQL strings, so the same model runs on Splink's DuckDB
backend (one machine) and its Spark backend (many): the only functions the SQL uses are
``bit_count``, ``&``, ``nullif`` and ``abs``, which both engines provide. The Bloom filters'
Dice similarity is written as the backend holds the filters (``bloom_columns.FilterSql``:
words on Spark, a macro over packed words on DuckDB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from interchange.contract.records import Encoding, linkage_fields
from interchange.linkage.bloom_columns import PORTABLE, FilterSql, bits_column

# What each Bloom filter encodes ("given_name" for given_name_bloom): the model's column prefixes.
BLOOM_FIELDS = tuple(name.removesuffix("_bloom") for name in linkage_fields(encodings=(Encoding.BLOOM,)))


@dataclass(frozen=True)
class MatchSettings:
    """How person records are scored.

    Attributes:
        min_probability: pairs scoring below this are not returned; the caller applies its own
            accept / review thresholds on top.
        blocking: "standard" compares records that agree exactly on the pseudonym, on the
            birth date, on two of (given name, surname root, birth date), on the name pair, or
            on a place and a second field (see ``blocking_rules``); "narrow" replaces the
            birth-date-only rule by birth date and municipality; "all" compares every pair;
            "auto" (default) is "all" up to ``all_pairs_up_to`` records, "standard" up to
            ``standard_up_to`` and "narrow" above.
        all_pairs_up_to: record count up to which "auto" compares every pair (2,000 records
            are 2 million pairs: seconds in DuckDB, and no recall lost to blocking).
        standard_up_to: record count up to which "auto" uses the birth-date-only rule. Its
            pairs grow with the square of the population (a birth date is shared by ~3
            people in 100,000 and by ~27 in a million: 14 million pairs) while the true
            pairs it adds do not; nationally, birth date within a municipality keeps most of
            them at a sixtieth of the cost.
        min_records_for_training: below this many records the documented default m/u values
            are used instead of estimating them; EM on a few dozen records is unstable.
        prior: probability that two random records are the same person when it cannot be
            estimated (small data sets); 1e-4 is one duplicate pair per 10,000 pairs.
        prior_recall: when the prior is estimated from the pairs that agree exactly on the
            pseudonym or on given name, surname and birth date, the share of true pairs those
            rules are assumed to find (FEBRL3: about 0.6; clean registers: higher).
        u_max_pairs: random pairs sampled to estimate u values (2 million: ~80 pairs even at
            the rarest level, an equal birth date; more only costs time at national scale).
        em_max_pairs: cap on the blocked pairs each EM session uses.
        name_dice: Dice thresholds of the name Bloom-filter levels, highest first.
        date_dice: Dice thresholds of the birth-date Bloom-filter levels, highest first.
        address_dice: Dice thresholds of the street levels (two); the first is also the
            locality's typo level.
        swap_dice: Dice threshold of the name-pair filters (given name and surname sorted)
            above which two records whose given names and surnames both disagree count as
            the same names entered the wrong way round, with a typo.
        household_name_dice: the given-name Dice similarity from which the household guard
            counts the given names as agreeing. Higher than the lowest ``name_dice`` level:
            family members' names are often that close (Rūta / Rita 0.6, Jonas / Jonaitis
            0.67), while a typo in a name of five letters or more stays above it.
        min_move_m: the least m value of the "different" level of street, house number, place
            and municipality after training: the chance that one person's two records were
            made at different addresses (people move: about 5 % a year). EM on a
            municipality's few hundred true pairs, few of whom moved, estimated it near 0 on
            the demo's data as on 2026-12-31, which counted a move as 21 bits against and left
            a woman whose name and birth date agreed exactly at probability 0.02.
        household_guard: limit what a shared address is worth to pairs on which neither the
            given name nor the birth agrees (``household_guard.guard_households``), so that
            members of one household stay apart; the limit is estimated from the data. Off
            only to measure what the guard costs (the FEBRL benchmark).
        household_min_pairs: pairs at one address sharing a surname, given name and birth
            below which the data are too few to estimate the guard's limit: a shared address
            then does not count at all for such pairs (municipal test sets, new hubs).
        household_max_records: addresses with more records than this (care homes, shelters,
            the municipality's own address where people without a home are declared) are
            not households and are left out of the estimate.
        seed: seed for u sampling, so runs are reproducible.
        duckdb_memory_limit: DuckDB's memory cap; above it DuckDB spills to temporary files.
            The process holds the prepared records beside it (a million records with address
            filters: ~0.9 GB of integer words, which DuckDB reads in place). At 1 GB a national
            run spilled throughout and took twice as long; at 2 GB the process peaked at 3.4
            GiB in EM and predict; at 1.5 GB, 2.75 GiB, for about a quarter more predict CPU.
    """

    min_probability: float = 0.01
    blocking: Literal["auto", "standard", "narrow", "all"] = "auto"
    all_pairs_up_to: int = 2_000
    standard_up_to: int = 250_000
    min_records_for_training: int = 1_000
    prior: float = 1e-4
    prior_recall: float = 0.6
    u_max_pairs: float = 2e6
    em_max_pairs: float | None = 1e6
    name_dice: tuple[float, ...] = (0.85, 0.7, 0.55)
    date_dice: tuple[float, ...] = (0.8, 0.65)
    address_dice: tuple[float, float] = (0.85, 0.7)
    swap_dice: float = 0.8
    min_move_m: float = 0.02
    household_name_dice: float = 0.7
    household_guard: bool = True
    household_min_pairs: int = 100
    household_max_records: int = 20
    seed: int = 42
    duckdb_memory_limit: str = "1.5GB"


# Default (m, u) per level, used when there is too little data to estimate them, and as the
# starting point of EM otherwise. m = P(level | same person), u = P(level | different people).
# u values are for a Lithuanian municipality: the most common given names cover ~2 % of people,
# surnames far less; a birth date is shared by ~1/25,000 of random pairs.
_PSEUDONYM_MU = [(0.95, 1e-6), (0.05, 1.0 - 1e-6)]
_NAME_MU = {
    "given_name": [(0.85, 0.01), (0.06, 0.004), (0.04, 0.01), (0.02, 0.03), (0.03, 0.946)],
    "surname": [(0.80, 0.002), (0.06, 0.0005), (0.06, 0.001), (0.03, 0.003), (0.02, 0.01),
                (0.03, 0.9835)],
}
_BIRTH_MU = [(0.88, 4e-5), (0.05, 3e-4), (0.02, 2e-3), (0.03, 0.013), (0.02, 0.98466)]
_SEX_MU = [(0.98, 0.5), (0.02, 0.5)]
# Given name and surname entered the wrong way round: a few per cent of records in registers
# typed by hand; two different people's names form one another's swapped pair very rarely.
_SWAP_MU = (0.02, 1e-4)
# Addresses: people move, so m is lower than for names; a street name is shared by ~1/300 of
# random pairs (common names like Vilniaus g. recur in every town), a house and flat number
# by ~1/500, a locality by ~1/50 (cities are large).
_STREET_MU = [(0.75, 0.003), (0.05, 0.001), (0.03, 0.003), (0.17, 0.993)]
_HOUSE_MU = [(0.75, 0.002), (0.25, 0.998)]
_PLACE_MU = [(0.70, 0.005), (0.08, 0.02), (0.05, 0.002), (0.04, 0.005), (0.13, 0.968)]

_MUNICIPALITY_MU = [(0.8, 0.3), (0.2, 0.7)]


def _level(sql: str, label: str, mu: tuple[float, float] | None = None, null: bool = False
           ) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    if mu is not None:
        level["m_probability"], level["u_probability"] = mu
    return level


def _null(*columns: str) -> dict[str, Any]:
    sql = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in columns)
    return _level(sql, "null", null=True)


def pseudonym_comparison() -> dict[str, Any]:
    # Equal pseudonyms are linked deterministically anyway; the comparison matters when two
    # records both carry a code and the codes differ: strong evidence of two people.
    c = "person_pseudonym"
    return {
        "output_column_name": c,
        "comparison_levels": [
            _null(c),
            _level(f"{c}_l = {c}_r", "exact", _PSEUDONYM_MU[0]),
            _level("ELSE", "different", _PSEUDONYM_MU[1]),
        ],
    }


def name_comparison(field: str, thresholds: tuple[float, ...], swap_dice: float = 0.8,
                    filters: FilterSql = PORTABLE) -> dict[str, Any]:
    """Exact token, then (surname only) exact root, then Bloom Dice levels, then the names
    swapped, then else."""
    mu = iter(_name_mu(field, len(thresholds)))
    token = f"{field}_token"
    levels = [_null(token), _level(f"{token}_l = {token}_r", "exact", next(mu))]
    if field == "surname":
        # Jonaitis / Jonaitienė / Jonaitytė: same family, different ending.
        levels.append(_level("surname_root_token_l = surname_root_token_r", "same root", next(mu)))
    dice = filters.dice(field)
    for threshold in thresholds:
        levels.append(_level(f"{dice} >= {threshold}", f"dice >= {threshold}", next(mu)))
    swapped = swapped_sql(field, min(thresholds), swap_dice, filters)
    m_else, u_else = next(mu)
    if field == "given_name":
        levels.append(_level(swapped, "names swapped", _SWAP_MU))
        levels.append(_level("ELSE", "different", (m_else - _SWAP_MU[0], u_else - _SWAP_MU[1])))
    else:
        # The same swap seen from the surname: counted once, under the given name, so here it
        # only keeps the swapped surname from counting as a disagreement.
        levels.append(_level(swapped, "names swapped (counted under given name)", null=True))
        levels.append(_level("ELSE", "different", (m_else, u_else)))
    return {"output_column_name": field, "comparison_levels": levels}


def swapped_sql(field: str, min_dice: float, swap_dice: float, filters: FilterSql = PORTABLE) -> str:
    """The pair's names are one another's given name and surname (reached only when ``field``
    itself disagrees): equal name-pair tokens (an exact swap), or name-pair filters at Dice >=
    ``swap_dice`` while the other name field disagrees too (a swap with a typo). Requiring
    the other field to disagree keeps Ona and Ana Jonaitienė (same surname, similar pair) out.
    """
    other = "surname" if field == "given_name" else "given_name"
    return (f"(name_pair_token_l = name_pair_token_r OR ({filters.dice('name_pair')} >= {swap_dice} "
            f"AND coalesce({filters.dice(other)}, 0) < {min_dice}))")


def birth_comparison(thresholds: tuple[float, ...], filters: FilterSql = PORTABLE) -> dict[str, Any]:
    """Exact date, close dates (one mistyped digit), same year, else.

    The year travels in clear and also comes from the date, so it is one comparison with the
    date rather than a second, non-independent one. NULL only when neither is known on a side.
    """
    mu = iter(_birth_mu(len(thresholds)))
    null = ("(birth_date_token_l IS NULL OR birth_date_token_r IS NULL) "
            "AND (birth_year_l IS NULL OR birth_year_r IS NULL)")
    levels = [_level(null, "null", null=True),
              _level("birth_date_token_l = birth_date_token_r", "exact", next(mu))]
    dice = filters.dice("birth_date")
    for threshold in thresholds:
        levels.append(_level(f"{dice} >= {threshold}", f"dice >= {threshold}", next(mu)))
    levels.append(_level("birth_year_l = birth_year_r", "same year", next(mu)))
    levels.append(_level("ELSE", "different", next(mu)))
    return {"output_column_name": "birth", "comparison_levels": levels}


def category_comparison(column: str, mu: list[tuple[float, float]]) -> dict[str, Any]:
    return {
        "output_column_name": column,
        "comparison_levels": [
            _null(column),
            _level(f"{column}_l = {column}_r", "exact", mu[0]),
            _level("ELSE", "different", mu[1]),
        ],
    }


# Comparisons whose positive weight the household guard (household_guard.guard_households)
# limits on pairs on which neither the given name nor the birth date agrees.
ADDRESS_COMPARISONS = ("street", "house_number", "place")
# Comparisons that all disagree at once when a person moves; model.count_moves_once keeps
# only the most negative of their weights.
MOVE_COMPARISONS = (*ADDRESS_COMPARISONS, "municipality")


def street_comparison(settings: MatchSettings, filters: FilterSql = PORTABLE) -> dict[str, Any]:
    """Street name: exact token, Bloom Dice levels, else."""
    mu = iter(_STREET_MU)
    levels = [_null("street_token"),
              _level("street_token_l = street_token_r", "exact", next(mu))]
    dice = filters.dice("street")
    for threshold in settings.address_dice:
        levels.append(_level(f"{dice} >= {threshold}", f"dice >= {threshold}", next(mu)))
    levels.append(_level("ELSE", "different", next(mu)))
    return {"output_column_name": "street", "comparison_levels": levels}


def house_number_comparison(settings: MatchSettings) -> dict[str, Any]:
    """House and flat number: equal, else."""
    c = "house_number_token"
    return {
        "output_column_name": "house_number",
        "comparison_levels": [
            _null(c),
            _level(f"{c}_l = {c}_r", "exact", _HOUSE_MU[0]),
            _level("ELSE", "different", _HOUSE_MU[1]),
        ],
    }


def place_comparison(settings: MatchSettings, filters: FilterSql = PORTABLE) -> dict[str, Any]:
    """Locality and postcode as one comparison: a postcode lies inside a locality, so their
    agreements are not independent evidence. Both equal, locality equal,
    postcode equal, locality Dice (a typo), else."""
    mu = iter(_PLACE_MU)
    null = ("(locality_token_l IS NULL OR locality_token_r IS NULL) "
            "AND (postcode_token_l IS NULL OR postcode_token_r IS NULL)")
    return {
        "output_column_name": "place",
        "comparison_levels": [
            _level(null, "null", null=True),
            _level("locality_token_l = locality_token_r AND postcode_token_l = postcode_token_r",
                   "locality and postcode", next(mu)),
            _level("locality_token_l = locality_token_r", "locality", next(mu)),
            _level("postcode_token_l = postcode_token_r", "postcode", next(mu)),
            _level(f"{filters.dice('locality')} >= {settings.address_dice[0]}",
                   f"locality dice >= {settings.address_dice[0]}", next(mu)),
            _level("ELSE", "different", next(mu)),
        ],
    }


def comparisons(settings: MatchSettings, filters: FilterSql = PORTABLE) -> list[dict[str, Any]]:
    return [
        pseudonym_comparison(),
        name_comparison("given_name", settings.name_dice, settings.swap_dice, filters),
        name_comparison("surname", settings.name_dice, settings.swap_dice, filters),
        birth_comparison(settings.date_dice, filters),
        category_comparison("sex", _SEX_MU),
        category_comparison("municipality", _MUNICIPALITY_MU),
        street_comparison(settings, filters),
        house_number_comparison(settings),
        place_comparison(settings, filters),
    ]


def blocking_rules(settings: MatchSettings, n_records: int) -> list[str]:
    """Pairs that reach scoring: the pseudonym, two of the three exact tokens, or the birth date.

    The surname root stands in for the surname so that married and maiden forms are compared.
    """
    blocking = settings.blocking
    if blocking == "auto":
        blocking = ("all" if n_records <= settings.all_pairs_up_to
                    else "standard" if n_records <= settings.standard_up_to else "narrow")
    if blocking == "all":
        return ["1 = 1"]
    rules = [
        "l.person_pseudonym = r.person_pseudonym",
        "l.given_name_token = r.given_name_token AND l.surname_root_token = r.surname_root_token",
        "l.given_name_token = r.given_name_token AND l.birth_date_token = r.birth_date_token",
        "l.surname_root_token = r.surname_root_token AND l.birth_date_token = r.birth_date_token",
        # Given name and surname entered the wrong way round on one side.
        "l.name_pair_token = r.name_pair_token",
    ]
    # Address rules: records of one person whose names or birth date are misspelt. Each pairs
    # a place with a second field so that a block is a dwelling, a building or a name within
    # one postcode (a few hundred to a few thousand people), never a whole town: "given name
    # and locality" would put every Jonas of Vilnius in one block.
    rules += [
        "l.street_token = r.street_token AND l.house_number_token = r.house_number_token",
        "l.postcode_token = r.postcode_token AND l.house_number_token = r.house_number_token",
        "l.given_name_token = r.given_name_token AND l.postcode_token = r.postcode_token",
        "l.surname_root_token = r.surname_root_token AND l.postcode_token = r.postcode_token",
    ]
    if blocking == "standard":
        # Catches a misspelt given name AND surname; about 27 records share a birth date in a
        # population of a million, so this adds ~14 million pairs nationally.
        rules.append("l.birth_date_token = r.birth_date_token")
    else:
        # The same within a municipality (in clear, ~60 of them): a sixtieth of the pairs.
        rules.append("l.birth_date_token = r.birth_date_token AND l.municipality = r.municipality")
    return rules


# EM needs pairs that are mostly matches but still vary on the fields being estimated; each
# session estimates every comparison except those its blocking rule uses. A session's blocking
# as the token columns two records must share (model.py skips a session fewer than two records
# can meet) and as the rule Splink is given.
TRAINING_COLUMNS = (("birth_date_token",), ("given_name_token", "surname_token"))
TRAINING_RULES = tuple(" AND ".join(f"l.{c} = r.{c}" for c in columns) for columns in TRAINING_COLUMNS)


def settings_dict(settings: MatchSettings, n_records: int, filters: FilterSql = PORTABLE) -> dict[str, Any]:
    """A Splink settings dictionary for dedupe of the prepared record table, its Bloom filters
    held as ``filters`` says (the backend's ``filters``)."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "uid",
        "probability_two_random_records_match": settings.prior,
        "comparisons": comparisons(settings, filters),
        "blocking_rules_to_generate_predictions": blocking_rules(settings, n_records),
        "retain_matching_columns": False,
        # The household guard needs each comparison's weight per pair (mw_<comparison>).
        "retain_intermediate_calculation_columns": True,
        "em_convergence": 0.001,
        "max_iterations": 20,
    }


def _name_mu(field: str, n_thresholds: int) -> list[tuple[float, float]]:
    defaults = _NAME_MU[field]
    # Defaults are written for three Dice levels; other counts spread the middle evenly.
    head = 2 if field == "surname" else 1
    if n_thresholds == 3:
        return defaults
    m_mid = sum(m for m, _ in defaults[head:-1]) / max(n_thresholds, 1)
    u_mid = sum(u for _, u in defaults[head:-1]) / max(n_thresholds, 1)
    return [*defaults[:head], *[(m_mid, u_mid)] * n_thresholds, defaults[-1]]


def _birth_mu(n_thresholds: int) -> list[tuple[float, float]]:
    if n_thresholds == 2:
        return _BIRTH_MU
    m_mid = (_BIRTH_MU[1][0] + _BIRTH_MU[2][0]) / max(n_thresholds, 1)
    u_mid = (_BIRTH_MU[1][1] + _BIRTH_MU[2][1]) / max(n_thresholds, 1)
    return [_BIRTH_MU[0], *[(m_mid, u_mid)] * n_thresholds, *_BIRTH_MU[3:]]


__all__ = [
    "ADDRESS_COMPARISONS",
    "BLOOM_FIELDS",
    "MOVE_COMPARISONS",
    "TRAINING_COLUMNS",
    "TRAINING_RULES",
    "MatchSettings",
    "bits_column",
    "blocking_rules",
    "comparisons",
    "settings_dict",
    "swapped_sql",
]
