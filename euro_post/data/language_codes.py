"""Language codes as real datasets write them, mapped to the 24 two-letter codes.

Hub corpora name a row's language in many ways: ISO 639-1 (`de`), BCP-47 with a region or script
(`de-DE`, `pt_BR`, `sr-Latn-RS`), ISO 639-3 with a script as FineWeb-2, HPLT and GlotLID do
(`deu_Latn`, `ell_Grek`, `gle_Latn`, `mlt_Latn`; FineWeb-2 writes Standard Estonian `ekk` and
Standard Latvian `lvs`), ISO 639-2/B (`ger`, `fre`) or the English name (`German`).

    to_language("deu_Latn") -> "de"      to_language("zho_Hans") -> None (not one of the 24)
    to_language("bul_Latn") -> None      (a script the language is not written in here)

None means "not one of ours": the caller drops the row and counts it, or refuses it when strict.
"""

from __future__ import annotations

import re

from euro_post.data.languages import LANGUAGES

# ISO 639-3 (and 639-2/B, and the individual languages FineWeb-2 uses) -> ISO 639-1.
THREE_LETTER = {
    "bul": "bg", "ces": "cs", "cze": "cs", "dan": "da", "deu": "de", "ger": "de", "ell": "el", "gre": "el",
    "eng": "en", "spa": "es", "est": "et", "ekk": "et", "fin": "fi", "fra": "fr", "fre": "fr", "gle": "ga",
    "hrv": "hr", "hun": "hu", "ita": "it", "lit": "lt", "lav": "lv", "lvs": "lv", "mlt": "mt", "nld": "nl",
    "dut": "nl", "pol": "pl", "por": "pt", "ron": "ro", "rum": "ro", "slk": "sk", "slo": "sk", "slv": "sl",
    "swe": "sv",
}
NAMES = {lang.name.lower(): code for code, lang in LANGUAGES.items()} | {
    lang.native_name.lower(): code for code, lang in LANGUAGES.items()
} | {"slovene": "sl", "gaelic": "ga"}
_SCRIPT = re.compile(r"^[A-Za-z]{4}$")


def to_language(code: object) -> str | None:
    """The two-letter code of one of the 24 languages that `code` names, else None."""
    if not isinstance(code, str):
        return None
    text = code.strip()
    if text.lower() in NAMES:
        return NAMES[text.lower()]
    parts = re.split(r"[-_]", text)
    primary = parts[0].lower()
    lang = primary if len(primary) == 2 and primary in LANGUAGES else THREE_LETTER.get(primary)
    if lang is None:
        return None
    scripts = [part.title() for part in parts[1:] if _SCRIPT.match(part)]
    if scripts and scripts[0] != LANGUAGES[lang].script:
        return None  # e.g. Bulgarian in Latin transliteration: not the language the rewards read
    return lang
