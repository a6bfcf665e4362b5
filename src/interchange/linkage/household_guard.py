"""How much a shared address is worth when nothing personal agrees: the household guard.

Members of one household share the street, house and flat number, locality and postcode,
and often the surname root. For two different people those agreements are not independent,
as the Fellegi-Sunter product of per-field weights assumes (their u values come from random
pairs, where a shared address is rare), so a mother and daughter at one address would score
as one person. Yet in a register without households, two records at one address with the
same surname whose given name and birth date both disagree are almost always one person
whose record was mistyped twice.

The data decide between the two. Among the pairs of records at exactly the same address
that share a surname, the given name and the birth each agree or not: a 2x2 table. For the
same person the two errors are independent (a clerk mistyping a name does not thereby
mistype the date), so the pairs expected to disagree on both are ``B * C / A``, where A
agree on both, B on the given name only and C on the birth only (the odds-ratio estimate of
a 2x2 table; family members rarely agree on either, so A, B and C are nearly all the same
person). Pairs disagreeing on both beyond that expectation are co-residents. The *match
share* is expected / observed: near 1 where there are no households (FEBRL), near 0 in a
population where families live together. See docs/linkage.md, "Household guard".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from interchange.linkage.bloom_columns import bits_column, word_columns
from interchange.linkage.model_settings import ADDRESS_COMPARISONS, MatchSettings

log = logging.getLogger(__name__)

_ADDRESS = ("street_token", "house_number_token", "locality_token")
_CHUNK = 500_000  # pairs per step: bounds the gathered filter words to ~130 MB per field

__all__ = ["HouseholdEvidence", "guard_households", "household_evidence"]


@dataclass(frozen=True)
class HouseholdEvidence:
    """Pairs of records at one address sharing a surname, by what else agrees.

    Attributes:
        both: given name and birth agree.
        given_only: the given name agrees, the birth does not.
        birth_only: the birth agrees, the given name does not.
        neither: neither agrees (the same person mistyped twice, or two household members).
    """

    both: int = 0
    given_only: int = 0
    birth_only: int = 0
    neither: int = 0

    def match_share(self, min_pairs: int) -> float:
        """Estimated share of the ``neither`` pairs that are the same person, in [0, 1].

        0 (the guard holds fully) when fewer than ``min_pairs`` pairs agree on both: on a
        small data set the table says nothing, and wrongly merging a mother and daughter is
        the costlier mistake.
        """
        if self.both < max(min_pairs, 1):
            return 0.0
        if self.neither == 0:
            return 1.0
        expected = self.given_only * self.birth_only / self.both
        return float(min(1.0, expected / self.neither))


def household_evidence(table: pd.DataFrame, settings: MatchSettings) -> HouseholdEvidence:
    """Count the 2x2 table over every pair of records at exactly the same address.

    Same address: equal street, house-and-flat and locality tokens. Addresses with more than
    ``settings.household_max_records`` records (a care home, a shelter, the municipality's
    address where people without a home are declared) are left out: they are not households
    and their pairs grow with the square of their size.

    Args:
        table: the prepared records (``model.prepare_records``).
    """
    left, right = _coresident_rows(table, settings.household_max_records)
    counts = np.zeros(4, dtype=np.int64)
    for start in range(0, len(left), _CHUNK):
        lo, ro = left[start:start + _CHUNK], right[start:start + _CHUNK]
        surname = _agrees(table, lo, ro, ("surname_token", "surname_root_token"), "surname",
                          settings.household_name_dice)
        lo, ro = lo[surname], ro[surname]
        given = _given_agrees(table, lo, ro, settings)
        birth = _birth_agrees(table, lo, ro, settings)
        counts += [np.sum(given & birth), np.sum(given & ~birth), np.sum(~given & birth),
                   np.sum(~given & ~birth)]
    return HouseholdEvidence(*(int(c) for c in counts))


def guard_households(pairs: pd.DataFrame, table: pd.DataFrame, settings: MatchSettings,
                     share: float = 0.0) -> pd.DataFrame:
    """Limit what a shared address is worth to pairs on which no personal field agrees.

    Unless the given name agrees (exact token, Dice >= ``settings.household_name_dice``, or
    equal name-pair tokens: an exact swap) or the birth agrees (exact token, any Dice level,
    or the same year), a pair's probability is at most ``share`` (the data's estimate that
    such a pair is one person, :meth:`HouseholdEvidence.match_share`) and at least what it
    scores without the positive part of its street, house-number and place weights. With
    ``share`` 0 that is the full guard: the address does not count. The given-name bar is
    above the model's lowest Dice level because relatives' names are often that close (Rūta /
    Rita); a *similar* name pair does not count since at one address "Jonaitis Tomas" and
    "Jonas Jonaitis" have similar pairs through the shared surname. A missing given name or
    birth date does not agree. Disagreeing addresses still count against a pair, and the
    surname never corroborates: families share it. Off when ``settings.household_guard`` is
    False.

    Args:
        pairs: Splink's predictions with ``uid_l``, ``uid_r``, ``match_weight`` and the
            per-comparison weights ``mw_<comparison>``.
        table: the prepared records the pairs were scored on.
        share: the most a pair on which nothing personal agrees may score, in [0, 1].
    """
    if pairs.empty or not settings.household_guard:
        return pairs
    index = pd.Index(table["uid"])
    corroborated = np.zeros(len(pairs), dtype=bool)
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs.iloc[start:start + _CHUNK]
        left, right = index.get_indexer(chunk["uid_l"]), index.get_indexer(chunk["uid_r"])
        corroborated[start:start + len(chunk)] = (_given_agrees(table, left, right, settings)
                                                  | _birth_agrees(table, left, right, settings))
    bonus = np.zeros(len(pairs))
    for comparison in ADDRESS_COMPARISONS:
        bonus += pairs[f"mw_{comparison}"].to_numpy(dtype=float).clip(min=0.0)
    weight = pairs["match_weight"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):  # a share of 0 or 1 is a cap of -inf or +inf bits
        cap = np.log2(share) - np.log2(1.0 - share)
    guarded = np.maximum(weight - bonus, np.minimum(weight, cap))
    weight = np.where(corroborated, weight, guarded)
    return pairs.assign(match_weight=weight, match_probability=1.0 / (1.0 + np.exp2(-weight)))


def _coresident_rows(table: pd.DataFrame, max_records: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (left < right) of every pair of records at one full address."""
    known = table[list(_ADDRESS)].notna().all(axis=1).to_numpy()
    rows = np.flatnonzero(known)
    if len(rows) < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    group = table.loc[known, list(_ADDRESS)].groupby(list(_ADDRESS), sort=False).ngroup().to_numpy()
    frame = pd.DataFrame({"group": group, "row": rows})
    sizes = frame.groupby("group")["row"].transform("size").to_numpy()
    frame = frame[(sizes >= 2) & (sizes <= max_records)]
    joined = frame.merge(frame, on="group", suffixes=("_l", "_r"))
    joined = joined[joined.row_l < joined.row_r]
    return joined.row_l.to_numpy(dtype=np.int64), joined.row_r.to_numpy(dtype=np.int64)


def _given_agrees(table: pd.DataFrame, left: np.ndarray, right: np.ndarray,
                  settings: MatchSettings) -> np.ndarray:
    return _agrees(table, left, right, ("given_name_token", "name_pair_token"), "given_name",
                   settings.household_name_dice)


def _birth_agrees(table: pd.DataFrame, left: np.ndarray, right: np.ndarray,
                  settings: MatchSettings) -> np.ndarray:
    return _agrees(table, left, right, ("birth_date_token", "birth_year"), "birth_date",
                   min(settings.date_dice))


def _agrees(table: pd.DataFrame, left: np.ndarray, right: np.ndarray, columns: tuple[str, ...],
            bloom: str, min_dice: float) -> np.ndarray:
    """Any of the columns equal (both known), or the field's filters at least ``min_dice`` alike."""
    found = _dice(table, bloom, left, right) >= min_dice
    for column in columns:
        values = table[column]
        known = values.notna().to_numpy()
        numbers = values.fillna(0).to_numpy(dtype=np.int64)
        found |= known[left] & known[right] & (numbers[left] == numbers[right])
    return found


def _dice(table: pd.DataFrame, field: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Dice similarity of the field's filters for the given row pairs (0 where one is missing)."""
    words = table[word_columns(field)].to_numpy(dtype=np.int64).view(np.uint64)
    bits = table[bits_column(field)].fillna(0).to_numpy(dtype=np.int64)
    common = np.bitwise_count(words[left] & words[right]).sum(axis=1, dtype=np.int64)
    total = bits[left] + bits[right]
    return np.divide(2.0 * common, total, out=np.zeros(len(left)), where=total > 0)
