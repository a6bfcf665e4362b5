"""Scored pairs: the scorer's contract, a deterministic scorer, and what a reviewer may see of a pair."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from interchange.contract.records import Encoding, linkage_fields
from interchange.partner.bloom import dice

PAIR_COLUMNS = ("uid_l", "uid_r", "match_probability", "match_weight", "method")
# A pseudonym link the model did not score still needs a finite weight for storage; 40 bits
# is a Bayes factor of 10^12, i.e. probability 1 to double precision.
PSEUDONYM_WEIGHT = 40.0
Scorer = Callable[[pd.DataFrame], pd.DataFrame]
# Compared for the review queue: equal or not; never the values themselves.
EXACT_FIELDS = linkage_fields(encodings=(Encoding.TOKEN, Encoding.CLEAR))
BLOOM_FIELDS = linkage_fields(encodings=(Encoding.BLOOM,))


def pseudonym_pairs(records: pd.DataFrame) -> pd.DataFrame:
    """Every pair of records with one person_pseudonym, at probability 1 (method "pseudonym").

    Deterministic: the same personal code under the same key; the rule the model applies
    first anyway, and a scorer for tests and for hubs that want exact links only. Pairs come
    ordered by ``uid_l``, ``uid_r``.
    """
    pseudonyms = records["person_pseudonym"]
    # Codes per distinct pseudonym, without a Python string per record (a national run's
    # million); a value that is not text (a number in an object column) links nothing.
    codes = np.asarray(pd.factorize(pseudonyms, use_na_sentinel=True)[0])
    if pseudonyms.dtype == object:
        codes = np.where([isinstance(value, str) for value in pseudonyms.to_numpy()], codes, -1)
    counts = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0, dtype=np.int64)
    shared = (codes >= 0) & (counts[np.maximum(codes, 0)] > 1) if len(counts) else np.zeros(len(codes), bool)
    rows = np.flatnonzero(shared)
    members = pd.DataFrame({"uid": records["uid"].iloc[rows].to_numpy(dtype=object), "group": codes[rows]})
    joined = members.merge(members, on="group", suffixes=("_l", "_r"))
    joined = joined.loc[joined["uid_l"] < joined["uid_r"], ["uid_l", "uid_r"]]
    joined = joined.sort_values(["uid_l", "uid_r"], ignore_index=True)
    return joined.assign(match_probability=1.0, match_weight=PSEUDONYM_WEIGHT, method="pseudonym").loc[
        :, list(PAIR_COLUMNS)]


def normalise_pairs(pairs: pd.DataFrame, uids: pd.Series | Sequence[str]) -> pd.DataFrame:
    """The scorer's pairs with uid_l < uid_r, both records known, one row per pair (the best score)."""
    if pairs.empty:
        return pd.DataFrame(columns=list(PAIR_COLUMNS))
    frame = pairs.loc[:, list(PAIR_COLUMNS)].copy()
    swap = frame["uid_l"] > frame["uid_r"]
    frame.loc[swap, ["uid_l", "uid_r"]] = frame.loc[swap, ["uid_r", "uid_l"]].to_numpy()
    # Arrow's hash look-up: pandas' isin on the Arrow strings a scorer returns makes an Arrow
    # scalar of every known uid (1.8 s for 100,000 records) before it looks anything up.
    known = pa.array(uids, type=pa.string())
    inside = [pc.is_in(pa.array(frame[side], type=pa.string()), value_set=known).to_numpy(zero_copy_only=False)
              for side in ("uid_l", "uid_r")]
    frame = frame[(frame["uid_l"] != frame["uid_r"]) & inside[0] & inside[1]]
    frame = frame.sort_values(["uid_l", "uid_r", "match_probability"], ascending=[True, True, False])
    return frame.drop_duplicates(["uid_l", "uid_r"], ignore_index=True)


def agreements(left: dict[str, Any], right: dict[str, Any]) -> dict[str, str | float]:
    """Which fields of two records agree: agree / disagree / missing, Bloom filters as a Dice similarity."""
    found: dict[str, str | float] = {}
    for name in EXACT_FIELDS:
        a, b = left.get(name), right.get(name)
        found[name] = "missing" if _blank(a) or _blank(b) else ("agree" if a == b else "disagree")
    for name in BLOOM_FIELDS:
        similarity = _dice(left.get(name), right.get(name))
        found[name] = "missing" if similarity is None else round(similarity, 2)
    return found


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _dice(a: Any, b: Any) -> float | None:
    if _blank(a) or _blank(b):
        return None
    try:
        filter_a, filter_b = base64.b64decode(a), base64.b64decode(b)
        # Two empty filters are no evidence: shown as missing, not as disagreement.
        return dice(filter_a, filter_b) if any(filter_a) or any(filter_b) else None
    except (binascii.Error, ValueError):  # not base64, or filters of different lengths
        return None
