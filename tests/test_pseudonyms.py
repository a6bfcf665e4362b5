"""Keys, normalisation, pseudonyms, tokens and Bloom filters of the partner kit."""

from __future__ import annotations

import os
import stat
import traceback
from datetime import date
from pathlib import Path

import pytest

from interchange.contract.personal_code import PersonalCode, parse_personal_code
from interchange.contract.problems import ProblemError
from interchange.partner.bloom import (
    BITS,
    BloomEncoder,
    bigrams,
    dice,
    from_text,
    to_text,
)
from interchange.partner.keys import (
    PseudonymKey,
    generate_key_text,
    load_key,
    write_new_key,
)
from interchange.partner.normalise import (
    fold,
    name_pair,
    normalise_birth_date,
    normalise_name,
    surname_root,
)
from interchange.partner.pseudonyms import field_token, household_pseudonym, person_pseudonym

# Published in docs/pseudonyms.md ("Test vectors"): keep the two in step.
# The key is all zero bytes; it is for test vectors only and must never be used for data.
TEST_VECTORS = {
    "key_hex": "00" * 32,
    "fingerprint": "a21e8beee7243d10",
    "subkey_person_pseudonym": "943bcb219518a9cb79aaa554e37135fc65b3714816acc2dc85e0ed14721c9693",
    "person_pseudonym_33309240064":
        "475b7ab4c68e7e9d4fc18dad4bafefb4b6f61c5d9036d4540ecfd188c2e37ec6",
    "household_pseudonym_33309240064":
        "941fa35c5203cf9363a06825e90b498072a86acaa55fc9ff052cea787bb84432",
    "given_name_normalised_Šarūnė": "sarune",
    "given_name_token_Šarūnė": "14ef987571c00609975ede61d68516bfbcfae57f0001e9fb9be3bee72b2e5942",
    "birth_date_token_19330924": "ed1445ba5f69dcef5f74907ee81ffc6907de0feff90baab0cc4a8c4197d621e0",
    "given_name_bloom_positions_'_s'": (395, 69, 638, 691, 464, 656, 459, 316, 360, 783, 281,
                                         288, 560, 104, 667, 849, 926, 752, 161, 811),
    "given_name_bloom_Šarūnė_first16": "AEAmYIABIAIEAIAQ",
    "given_name_bloom_Šarūnė_set_bits": 131,
    "name_pair_Jonas_Jonaitis": "jonaitis jonas",
    "name_pair_token_Jonas_Jonaitis":
        "86a2a238bec2732ed884b6a022dd0d6bdd4b4cfa87cc5260c5ecef744819b11d",
    "name_pair_bloom_Jonas_Jonaitis_first16": "AGRwBAABaNEeGyJA",
    "name_pair_bloom_Jonas_Jonaitis_set_bits": 212,
}

CODE = "33309240064"
OTHER_CODE = "60503121238"


def _code(text: str) -> PersonalCode:
    result = parse_personal_code(text, today=date(2025, 6, 15))
    assert isinstance(result, PersonalCode)
    return result


@pytest.fixture(scope="module")
def key() -> PseudonymKey:
    return PseudonymKey(bytes.fromhex(TEST_VECTORS["key_hex"]))


@pytest.fixture(scope="module")
def other_key() -> PseudonymKey:
    return PseudonymKey(bytes(range(32)))


# --- test vectors -------------------------------------------------------------------------


def test_vectors_match_the_documented_construction(key: PseudonymKey) -> None:
    v = TEST_VECTORS
    name = normalise_name("Šarūnė")
    encoder = BloomEncoder(key, "given_name")
    bloom = encoder.encode(name)
    assert bloom is not None
    assert key.fingerprint == v["fingerprint"]
    assert key.subkey("person_pseudonym").hex() == v["subkey_person_pseudonym"]
    assert person_pseudonym(key, _code(CODE)) == v["person_pseudonym_33309240064"]
    assert household_pseudonym(key, _code(CODE)) == v["household_pseudonym_33309240064"]
    assert name == v["given_name_normalised_Šarūnė"]
    assert field_token(key, "given_name", name) == v["given_name_token_Šarūnė"]
    assert field_token(key, "birth_date", "19330924") == v["birth_date_token_19330924"]
    assert encoder.positions("_s") == v["given_name_bloom_positions_'_s'"]
    assert to_text(bloom)[:16] == v["given_name_bloom_Šarūnė_first16"]
    assert int.from_bytes(bloom, "big").bit_count() == v["given_name_bloom_Šarūnė_set_bits"]
    pair = name_pair(normalise_name("Jonas"), normalise_name("Jonaitis"))
    assert pair == name_pair(normalise_name("Jonaitis"), normalise_name("Jonas"))
    assert pair == v["name_pair_Jonas_Jonaitis"]
    assert field_token(key, "name_pair", pair) == v["name_pair_token_Jonas_Jonaitis"]
    pair_bloom = BloomEncoder(key, "name_pair").encode(pair)
    assert to_text(pair_bloom)[:16] == v["name_pair_bloom_Jonas_Jonaitis_first16"]
    assert int.from_bytes(pair_bloom, "big").bit_count() == v["name_pair_bloom_Jonas_Jonaitis_set_bits"]


def test_vectors_are_pasted_into_the_doc() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "pseudonyms.md").read_text(encoding="utf-8")
    for value in TEST_VECTORS.values():
        text = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
        assert text in doc


# --- keys ---------------------------------------------------------------------------------


def _problem_code(path: Path) -> str:
    with pytest.raises(ProblemError) as info:
        load_key(path)
    return info.value.problems[0].code


def test_missing_key_file(tmp_path: Path) -> None:
    assert _problem_code(tmp_path / "nope.key") == "key.missing"
    assert _problem_code(tmp_path) == "key.missing"  # a directory is not a key file


@pytest.mark.parametrize("body", ["", "\n\n", "# only a comment\n#another\n   \n"])
def test_empty_key_file(tmp_path: Path, body: str) -> None:
    path = tmp_path / "k.key"
    path.write_text(body)
    assert _problem_code(path) == "key.empty"


@pytest.mark.parametrize(
    "body",
    ["zz" + "ab" * 31, "ab" * 32 + "c", "0x" + "ab" * 32, "ab " * 32, "pass word"],
)
def test_non_hex_key_file(tmp_path: Path, body: str) -> None:
    path = tmp_path / "k.key"
    path.write_text(body + "\n")
    assert _problem_code(path) == "key.format"


def test_undecodable_key_file(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert _problem_code(path) == "key.format"


def test_128_bit_key_is_too_short(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_text("ab" * 16 + "\n")
    with pytest.raises(ProblemError) as info:
        load_key(path)
    problem = info.value.problems[0]
    assert problem.code == "key.too_short"
    assert problem.params == {"bits": 128, "minimum": 256}
    with pytest.raises(ProblemError):
        PseudonymKey(bytes(16))


def test_comment_lines_are_ignored(tmp_path: Path, key: PseudonymKey) -> None:
    path = tmp_path / "k.key"
    body = "# header\n  # indented comment\n\n  " + TEST_VECTORS["key_hex"] + "  \n# tail\n"
    path.write_text(body)
    assert load_key(path).fingerprint == key.fingerprint


def test_upper_case_hex_is_the_same_key(tmp_path: Path, key: PseudonymKey) -> None:
    path = tmp_path / "k.key"
    path.write_text("AB" * 32)
    assert load_key(path).fingerprint == PseudonymKey(bytes([0xAB] * 32)).fingerprint


def test_generated_key_text_loads_and_explains_itself(tmp_path: Path) -> None:
    text = generate_key_text()
    assert "never send" in text.lower() and "hub" in text
    assert "e-mail" in text and "phone" in text
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 1 and len(lines[0]) == 64
    assert generate_key_text() != text  # fresh randomness every time


def test_write_new_key_sets_0600_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "partner.key"
    made = write_new_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key(path).fingerprint == made.fingerprint
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        write_new_key(path)
    assert path.read_bytes() == before


def test_key_repr_hides_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "partner.key"
    made = write_new_key(path)
    secret = next(x for x in path.read_text().splitlines() if not x.startswith("#"))
    for text in (repr(made), str(made), f"{made!r}"):
        assert secret not in text
        assert secret[:16] not in text
        assert made.fingerprint in text


def test_subkeys_differ_per_purpose_and_are_cached(key: PseudonymKey) -> None:
    purposes = ["person_pseudonym", "household_pseudonym", "token/given_name",
                "token/surname", "bloom/given_name", "bloom/surname"]
    subkeys = [key.subkey(p) for p in purposes]
    assert len(set(subkeys)) == len(purposes)
    assert key.subkey("token/surname") is key.subkey("token/surname")


def test_key_errors_do_not_contain_key_material(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    bodies = ["ab" * 16, "zz" + "cd" * 31, "ef" * 32 + "1"]
    for body in bodies:
        path.write_text(body)
        with pytest.raises(ProblemError) as info:
            load_key(path)
        rendered = "".join(traceback.format_exception(info.value))
        assert body[2:18] not in rendered


# --- normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Šarūnė", "sarune"),
        ("ĄČĘĖĮŠŲŪŽ", "aceeisuuz"),
        ("ąčęėįšųūž", "aceeisuuz"),
        ("  Jonaitienė-Petraitė ", "jonaitiene petraite"),
        ("O'Brien", "o brien"),
        ("Jean-Pierre  St. Claire", "jean pierre st claire"),
        ("Łukasz", "lukasz"),
        ("Müller", "muller"),
        ("Anna2", "anna"),
        ("   ", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_name(raw: str | None, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_fold_keeps_non_letters() -> None:
    assert fold("Žemaitė-Ūla") == "zemaite-ula"


def test_normalise_birth_date() -> None:
    assert normalise_birth_date(date(1933, 9, 24)) == "19330924"
    assert normalise_birth_date(date(5, 1, 2)) == "00050102"


FAMILIES = [
    ["Jonaitis", "Jonaitienė", "Jonaitytė"],
    ["Petrauskas", "Petrauskienė", "Petrauskaitė"],
    ["Vaitkus", "Vaitkienė", "Vaitkutė"],
    ["Stankevičius", "Stankevičienė", "Stankevičiūtė"],
    ["Kairys", "Kairienė", "Kairytė"],
]


@pytest.mark.parametrize("family", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_surname_forms_share_a_root(family: list[str]) -> None:
    roots = {surname_root(normalise_name(form)) for form in family}
    assert len(roots) == 1
    assert len(roots.pop()) >= 3


def test_different_families_have_different_roots() -> None:
    roots = [surname_root(normalise_name(family[0])) for family in FAMILIES]
    assert len(set(roots)) == len(roots)
    assert surname_root("jonaitis") == surname_root("jonaityte")
    assert surname_root("jonaitis") != surname_root("petrauskas")


def test_surname_root_uses_the_last_word_and_keeps_short_roots() -> None:
    assert surname_root("jonaitiene petrauskaite") == surname_root("petrauskas")
    assert surname_root("uta") == "uta"  # stripping "a" would leave two letters
    assert surname_root("bus") == "bus"
    assert surname_root("") == ""


# --- pseudonyms and tokens ----------------------------------------------------------------


def test_pseudonym_is_deterministic_hex(key: PseudonymKey) -> None:
    first = person_pseudonym(key, _code(CODE))
    again = person_pseudonym(PseudonymKey(bytes(32)), _code(" " + CODE + " "))
    assert first == again
    assert len(first) == 64 and first == first.lower()
    int(first, 16)


def test_pseudonym_depends_on_key_and_code(key: PseudonymKey, other_key: PseudonymKey) -> None:
    code = _code(CODE)
    assert person_pseudonym(key, code) != person_pseudonym(other_key, code)
    assert person_pseudonym(key, code) != person_pseudonym(key, _code(OTHER_CODE))


def test_person_and_household_pseudonyms_differ(key: PseudonymKey) -> None:
    code = _code(CODE)
    assert person_pseudonym(key, code) != household_pseudonym(key, code)


def test_tokens_differ_between_fields(key: PseudonymKey, other_key: PseudonymKey) -> None:
    tokens = {field_token(key, f, "jonas") for f in ("given_name", "surname", "surname_root")}
    assert len(tokens) == 3
    assert field_token(key, "given_name", "jonas") == field_token(key, "given_name", "jonas")
    assert field_token(key, "given_name", "jonas") != field_token(other_key, "given_name", "jonas")
    assert field_token(key, "given_name", "") is None


# --- Bloom filters ------------------------------------------------------------------------


def test_bigrams_are_padded() -> None:
    assert bigrams("ona") == ["_o", "on", "na", "a_"]
    assert bigrams("a b") == ["_a", "a ", " b", "b_"]
    assert bigrams("aaa") == ["_a", "aa", "a_"]


def test_filter_shape_and_round_trip(key: PseudonymKey) -> None:
    encoder = BloomEncoder(key, "given_name")
    bloom = encoder.encode("kristina")
    assert bloom is not None and len(bloom) == BITS // 8
    text = to_text(bloom)
    assert len(text) == 172 and "\n" not in text
    assert from_text(text) == bloom
    assert encoder.encode("") is None
    with pytest.raises(ValueError):
        from_text("not base64!")


def test_fill_is_around_fifteen_percent(key: PseudonymKey) -> None:
    encoder = BloomEncoder(key, "given_name")
    bloom = encoder.encode("jonaitis")  # 9 bigrams
    assert bloom is not None
    fill = int.from_bytes(bloom, "big").bit_count() / BITS
    assert 0.10 < fill < 0.20


def test_diacritics_do_not_change_the_filter(key: PseudonymKey) -> None:
    encoder = BloomEncoder(key, "given_name")
    a, b = encoder.encode("sarune"), encoder.encode(normalise_name("Šarūnė"))
    assert a is not None and b is not None
    assert dice(a, b) == 1.0


TYPO_PAIRS = [("jonaitiene", "jonaitine"), ("kristina", "kristna"), ("petrauskas", "petrauskaz"),
              ("sarune", "sarne"), ("vaitkus", "vaitkuss")]
DIFFERENT_PAIRS = [("kristina", "rasa"), ("jonaitiene", "petrauskas"), ("sarune", "ona"),
                   ("vaitkus", "kairys"), ("kristina", "jonaitiene")]


def test_typos_score_higher_than_different_names(key: PseudonymKey) -> None:
    encoder = BloomEncoder(key, "name")

    def score(a: str, b: str) -> float:
        x, y = encoder.encode(a), encoder.encode(b)
        assert x is not None and y is not None
        return dice(x, y)

    typo_scores = [score(a, b) for a, b in TYPO_PAIRS]
    different_scores = [score(a, b) for a, b in DIFFERENT_PAIRS]
    assert min(typo_scores) > 0.6
    assert max(different_scores) < 0.4
    assert min(typo_scores) > max(different_scores)


def test_filters_depend_on_key_and_field(key: PseudonymKey, other_key: PseudonymKey) -> None:
    given = BloomEncoder(key, "given_name").encode("jonas")
    surname = BloomEncoder(key, "surname").encode("jonas")
    other = BloomEncoder(other_key, "given_name").encode("jonas")
    assert given is not None and surname is not None and other is not None
    assert dice(given, surname) < 0.5
    assert dice(given, other) < 0.5


def test_encoder_caches_are_transparent(key: PseudonymKey) -> None:
    encoder = BloomEncoder(key, "given_name")
    fresh = BloomEncoder(key, "given_name")
    assert encoder.encode("ona") == encoder.encode("ona") == fresh.encode("ona")


def test_encoder_parameters_are_checked(key: PseudonymKey) -> None:
    with pytest.raises(ValueError):
        BloomEncoder(key, "x", bits=1000 + 1)
    with pytest.raises(ValueError):
        BloomEncoder(key, "x", hashes=33)
    small = BloomEncoder(key, "x", bits=256, hashes=10).encode("ona")
    assert small is not None and len(small) == 32


def test_dice_edge_cases() -> None:
    assert dice(bytes(4), bytes(4)) == 0.0
    assert dice(b"\xff", b"\x0f") == pytest.approx(2 * 4 / 12)
    with pytest.raises(ValueError):
        dice(bytes(4), bytes(8))


# --- nothing leaks ------------------------------------------------------------------------


def test_no_repr_or_exception_contains_input(key: PseudonymKey, tmp_path: Path) -> None:
    code = _code(CODE)
    encoder = BloomEncoder(key, "given_name")
    encoder.encode("sarune")
    texts = [repr(code), str(code), repr(key), repr(encoder)]
    for bad in ("33309240065", "3330924006X", "Šarūnė"):
        texts.append(str(parse_personal_code(bad)))
    for call in (lambda: from_text("Šarūnė"), lambda: dice(b"sarune", b"jonas")):
        with pytest.raises(ValueError) as info:
            call()
        texts.append("".join(traceback.format_exception_only(info.value)))
    for text in texts:
        for secret in ("33309240", "Šarūnė", "sarune", "jonas", "1933"):
            assert secret not in text
