"""The 24 official EU languages and the facts every stage needs about them.

One table, used by the embedded world (to write numbers and answers), by the rewards
(to read them back), by the tokenizer sampler and by the reports. Number formats follow
CLDR for the EU locale of each language (pt is pt-PT, not pt-BR).
"""

from __future__ import annotations

from dataclasses import dataclass

NBSP = "\u00a0"  # no-break space: the CLDR group separator of many languages
NNBSP = "\u202f"  # narrow no-break space: French groups digits with it
MINUS = "\u2212"  # the Unicode minus sign some locales write


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1
    name: str  # English name, for reports
    native_name: str
    script: str  # "Latn", "Grek" or "Cyrl"
    decimal: str  # decimal separator
    group: str  # thousands separator
    min_grouping: int  # CLDR minimumGroupingDigits: 2 means 4-digit numbers stay ungrouped
    percent: str  # how a percentage is written, "{n}" is the number
    answer_marker: str  # the word that introduces the final answer, e.g. "Antwort"
    step_word: str  # the word for "Step" in a worked solution


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in [
        Language("bg", "Bulgarian", "български", "Cyrl", ",", NBSP, 1, "{n}" + NBSP + "%", "Отговор", "Стъпка"),
        Language("cs", "Czech", "čeština", "Latn", ",", NBSP, 1, "{n}" + NBSP + "%", "Odpověď", "Krok"),
        Language("da", "Danish", "dansk", "Latn", ",", ".", 1, "{n}" + NBSP + "%", "Svar", "Trin"),
        Language("de", "German", "Deutsch", "Latn", ",", ".", 1, "{n}" + NBSP + "%", "Antwort", "Schritt"),
        Language("el", "Greek", "Ελληνικά", "Grek", ",", ".", 1, "{n}%", "Απάντηση", "Βήμα"),
        Language("en", "English", "English", "Latn", ".", ",", 1, "{n}%", "Answer", "Step"),
        Language("es", "Spanish", "español", "Latn", ",", ".", 2, "{n}" + NBSP + "%", "Respuesta", "Paso"),
        Language("et", "Estonian", "eesti", "Latn", ",", NBSP, 2, "{n}%", "Vastus", "Samm"),
        Language("fi", "Finnish", "suomi", "Latn", ",", NBSP, 1, "{n}" + NBSP + "%", "Vastaus", "Vaihe"),
        Language("fr", "French", "français", "Latn", ",", NNBSP, 1, "{n}" + NNBSP + "%", "Réponse", "Étape"),
        Language("ga", "Irish", "Gaeilge", "Latn", ".", ",", 1, "{n}%", "Freagra", "Céim"),
        Language("hr", "Croatian", "hrvatski", "Latn", ",", ".", 1, "{n}" + NBSP + "%", "Odgovor", "Korak"),
        Language("hu", "Hungarian", "magyar", "Latn", ",", NBSP, 1, "{n}%", "Válasz", "Lépés"),
        Language("it", "Italian", "italiano", "Latn", ",", ".", 1, "{n}%", "Risposta", "Passo"),
        Language("lt", "Lithuanian", "lietuvių", "Latn", ",", NBSP, 1, "{n}" + NBSP + "%", "Atsakymas", "Žingsnis"),
        Language("lv", "Latvian", "latviešu", "Latn", ",", NBSP, 1, "{n}%", "Atbilde", "Solis"),
        Language("mt", "Maltese", "Malti", "Latn", ".", ",", 1, "{n}%", "Tweġiba", "Pass"),
        Language("nl", "Dutch", "Nederlands", "Latn", ",", ".", 1, "{n}%", "Antwoord", "Stap"),
        Language("pl", "Polish", "polski", "Latn", ",", NBSP, 2, "{n}%", "Odpowiedź", "Krok"),
        Language("pt", "Portuguese", "português", "Latn", ",", NBSP, 2, "{n}%", "Resposta", "Passo"),
        Language("ro", "Romanian", "română", "Latn", ",", ".", 1, "{n}" + NBSP + "%", "Răspuns", "Pasul"),
        Language("sk", "Slovak", "slovenčina", "Latn", ",", NBSP, 1, "{n}" + NBSP + "%", "Odpoveď", "Krok"),
        Language("sl", "Slovenian", "slovenščina", "Latn", ",", ".", 2, "{n}" + NBSP + "%", "Odgovor", "Korak"),
        Language("sv", "Swedish", "svenska", "Latn", ",", NBSP, 1, "{n}" + NBSP + "%", "Svar", "Steg"),
    ]
}

LANGUAGE_CODES: tuple[str, ...] = tuple(LANGUAGES)


def get_language(code: str) -> Language:
    try:
        return LANGUAGES[code]
    except KeyError:
        raise ValueError(
            f"unknown language {code!r}; expected one of the 24 EU languages: {', '.join(LANGUAGE_CODES)}"
        ) from None


def resolve_languages(spec: str | list[str]) -> list[str]:
    """`"all"` or a list of codes -> a validated list of codes in canonical order."""
    if spec == "all":
        return list(LANGUAGE_CODES)
    if isinstance(spec, str):
        spec = [spec]
    for code in spec:
        get_language(code)
    if len(set(spec)) != len(spec):
        raise ValueError(f"languages listed twice: {sorted({c for c in spec if spec.count(c) > 1})}")
    return [c for c in LANGUAGE_CODES if c in spec]


def format_number(value, lang: str, decimals: int | None = None) -> str:
    """Write a number the way `lang` writes it: its decimal separator and digit grouping.

    `value` is an int, a float or a Decimal. `decimals=None` prints integers without a
    fractional part and other values with as many digits as they need (at most 6).
    """
    from decimal import Decimal

    info = get_language(lang)
    d = Decimal(str(value))
    if decimals is not None:
        d = d.quantize(Decimal(1).scaleb(-decimals))
    elif d == d.to_integral_value():
        d = d.quantize(Decimal(1))
    else:
        d = d.quantize(Decimal("0.000001")).normalize()
    sign = "-" if d < 0 else ""
    text = format(abs(d), "f")
    int_part, _, frac = text.partition(".")
    if len(int_part) >= 4 + (info.min_grouping - 1):
        groups = []
        while len(int_part) > 3:
            groups.insert(0, int_part[-3:])
            int_part = int_part[:-3]
        groups.insert(0, int_part)
        int_part = info.group.join(groups)
    return sign + int_part + (info.decimal + frac if frac else "")


def format_percent(value, lang: str) -> str:
    return get_language(lang).percent.format(n=format_number(value, lang))


# The answer format every stage agrees on: a worked solution ends with one line
# "<answer_marker>: <number written in the language's format>", e.g. "Antwort: 12,5".
# The world writes it, SFT teaches it, the rewards and the eval read it back.
def answer_line(lang: str, answer_text: str) -> str:
    return f"{get_language(lang).answer_marker}: {answer_text}"
