"""Polish (pl).

Plural: "one" for exactly 1 (1 jabłko), "few" when the last digit is 2-4 but not in 12-14
(2, 4, 22, 102 jabłka), "many" for every other integer (5, 11-14, 21, 25, 101 jabłek) and
"fraction" for non-integers, which take the genitive singular (2,5 kilograma).

Count phrases stand where the accusative is needed (ma 1 książkę / 2 książki / 5 książek); after
"do" they take the genitive ("do 3 torebek"), the "gen.<category>" forms. No count phrase is the
subject of a verb, so no verb has to agree with a numeral. Verbs are in the present tense,
which does not mark the gender of the person; names are declined through their case forms.
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_pl(value: Decimal) -> str:
    if value != value.to_integral_value():
        return "fraction"
    n = int(value)
    if n == 1:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def counted(one: str, few: str, many: str, gen_one: str, **extra: str) -> Noun:
    """A counted noun: accusative after a numeral (one/few/many), genitive after "do"."""
    return Noun({
        "one": one, "few": few, "many": many, "fraction": gen_one,
        "gen.one": gen_one, "gen.few": many, "gen.many": many, "gen.fraction": gen_one,
        "gen_pl": many, **extra,
    })


PACK = LanguagePack(
    code="pl",
    names=[
        person("Anna", "f", gen="Anny", dat="Annie"),
        person("Piotr", "m", gen="Piotra", dat="Piotrowi"),
        person("Zofia", "f", gen="Zofii", dat="Zofii"),
        person("Jakub", "m", gen="Jakuba", dat="Jakubowi"),
        person("Maja", "f", gen="Mai", dat="Mai"),
        person("Tomasz", "m", gen="Tomasza", dat="Tomaszowi"),
        person("Magdalena", "f", gen="Magdaleny", dat="Magdalenie"),
        person("Michał", "m", gen="Michała", dat="Michałowi"),
    ],
    objects={
        # pl: the plural used without a numeral ("zbiera jabłka", "wszystkie jabłka").
        "collection": [
            counted("jabłko", "jabłka", "jabłek", "jabłka", pl="jabłka"),
            counted("znaczek", "znaczki", "znaczków", "znaczka", pl="znaczki"),
            counted("kulkę", "kulki", "kulek", "kulki", pl="kulki"),
            counted("muszelkę", "muszelki", "muszelek", "muszelki", pl="muszelki"),
            counted("ołówek", "ołówki", "ołówków", "ołówka", pl="ołówki"),
            counted("ciastko", "ciastka", "ciastek", "ciastka", pl="ciastka"),
            counted("naklejkę", "naklejki", "naklejek", "naklejki", pl="naklejki"),
        ],
        "shopping": [
            noun(acc="książkę"),
            noun(acc="tort"),
            noun(acc="szalik"),
            noun(acc="grę planszową"),
            noun(acc="roślinę doniczkową"),
            noun(acc="bilet do kina"),
        ],
        "journey": [
            noun(to="nad jezioro"),
            noun(to="nad morze"),
            noun(to="w góry"),
            noun(to="do sąsiedniego miasteczka"),
            noun(to="do starego zamku"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km", "km"),
        "box": counted("pudełko", "pudełka", "pudełek", "pudełka"),
        "bag": counted("torebkę", "torebki", "torebek", "torebki"),
        "envelope": counted("kopertę", "koperty", "kopert", "koperty"),
        "hour": counted("godzinę", "godziny", "godzin", "godziny"),
        "day": counted("dzień", "dni", "dni", "dnia"),
        "stage": counted("etap", "etapy", "etapów", "etapu"),
    },
    questions={
        "collection": {
            "start": [
                "{name} ma {start:q}.",
                "{name} zbiera {obj:pl} i ma już {start:q}.",
                "W szufladzie {name} trzyma {start:q}.",
            ],
            "groups": [
                "{name} ma {x:box} i w każdym trzyma {n:q}.",
                "{name} kupuje {x:bag} {obj:gen_pl}, po {n:q} w każdej.",
            ],
            "gain": [
                "{friend} daje {name:dat} {n:q}.",
                "Potem {name} dostaje jeszcze {n:q}.",
                "{name} znajduje jeszcze {n:q}.",
            ],
            "lose": [
                "{name} daje {friend:dat} {n:q}.",
                "Następnie {name} rozdaje {n:q} znajomym.",
                "{name} gubi {n:q}.",
            ],
            "share": [
                "{name} rozkłada wszystkie {obj:pl} po równo do {n:bag.gen}.",
                "{name} pakuje wszystkie {obj:pl} do {n:bag.gen}, tak żeby w każdej było tyle samo.",
            ],
            "pct_part": [
                "{name} daje {friend:dat} {n:%} swoich {obj:gen_pl}.",
                "{n:%} wszystkich {obj:gen_pl} {name} podarowuje {friend:dat}.",
            ],
            "pct_off": [
                "{name} sprzedaje {n:%} swoich {obj:gen_pl}.",
                "Na kiermaszu {name} sprzedaje {n:%} swoich {obj:gen_pl}.",
            ],
            "ask_total": [
                "Ile {obj:gen_pl} ma teraz {name}?",
                "Ile {obj:gen_pl} ma ostatecznie {name}?",
            ],
            "ask_share": ["Ile {obj:gen_pl} jest w każdej torebce?", "Ile {obj:gen_pl} trafia do jednej torebki?"],
            "ask_part": ["Ile {obj:gen_pl} dostaje {friend}?"],
        },
        "shopping": {
            "start": [
                "{name} ma {start:q}.",
                "{name} ma w portfelu {start:q}.",
                "W skarbonce {name} ma {start:q}.",
            ],
            "groups": [
                "{name} pracuje przez {x:hour} i zarabia {n:q} za godzinę.",
                "{name} pomaga sąsiadom przez {x:hour}, a za każdą godzinę dostaje {n:q}.",
            ],
            "gain": [
                "{friend} daje {name:dat} {n:q}.",
                "Potem {name} zarabia jeszcze {n:q}.",
                "{name} dostaje {n:q} na urodziny.",
            ],
            "lose": [
                "{name} kupuje {item:acc} za {n:q}.",
                "Następnie {name} płaci {n:q} za {item:acc}.",
            ],
            "share": [
                "{name} rozkłada wszystkie pieniądze po równo do {n:envelope.gen}.",
                "{name} dzieli pieniądze po równo i wkłada je do {n:envelope.gen}.",
            ],
            "pct_part": [
                "{name} odkłada {n:%} swoich pieniędzy na wakacje.",
                "{n:%} swoich pieniędzy {name} odkłada do skarbonki.",
            ],
            "pct_off": [
                "{name} wydaje {n:%} swoich pieniędzy na {item:acc}.",
                "Na {item:acc} {name} wydaje {n:%} swoich pieniędzy.",
            ],
            "ask_total": ["Ile pieniędzy ma teraz {name}?", "Ile pieniędzy ma ostatecznie {name}?"],
            "ask_share": ["Ile pieniędzy jest w każdej kopercie?", "Ile pieniędzy trafia do jednej koperty?"],
            "ask_part": ["Ile pieniędzy odkłada {name}?"],
        },
        "journey": {
            "start": [
                "{name} planuje wycieczkę rowerową {obj:to}. Trasa ma {start:q}.",
                "Droga z domu {name:gen} {obj:to} ma {start:q}. {name} jedzie tam rowerem.",
            ],
            "groups": [
                "{name} dzieli wycieczkę rowerową {obj:to} na {x:stage} po {n:q}.",
                "{name} chce dojechać rowerem {obj:to} w {x:day}, pokonując codziennie {n:q}.",
            ],
            "gain": [
                "Objazd wydłuża trasę o {n:q}.",
                "Jedna droga jest zamknięta, więc trasa wydłuża się o {n:q}.",
                "Z powodu remontu drogi trasa wydłuża się o {n:q}.",
            ],
            "lose": [
                "{name} przejeżdża {n:q}.",
                "Następnie {name} pokonuje {n:q}.",
                "Na kolejnym odcinku {name} przejeżdża {n:q}.",
            ],
            "share": [
                "Resztę trasy {name} chce przejechać w {n:day}, każdego dnia tyle samo.",
                "{name} dzieli resztę trasy po równo na {n:day}.",
            ],
            "pct_part": [
                "Na {n:%} pozostałej trasy droga biegnie wzdłuż rzeki.",
                "Na {n:%} pozostałej trasy {name} jedzie brzegiem rzeki.",
            ],
            "pct_off": [
                "Dzisiaj {name} przejeżdża {n:%} pozostałej trasy.",
                "Dziś {name} pokonuje {n:%} pozostałej trasy.",
            ],
            "ask_total": [
                "Ile kilometrów musi jeszcze przejechać {name}?",
                "Ile kilometrów zostaje {name:dat} do przejechania?",
            ],
            "ask_share": ["Ile kilometrów dziennie przejeżdża {name}?"],
            "ask_part": ["Ile kilometrów trasy prowadzi wzdłuż rzeki?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} ma {x} razy po {n:q}: {calc}.", "Liczymy wszystkie {obj:pl}: {calc}."],
            "gain": ["{name} ma teraz o {n:q} więcej: {calc}.", "Dodajemy {n:q}: {calc}."],
            "lose": ["Odejmujemy {n:q}: {calc}.", "{name} ma teraz o {n:q} mniej: {calc}."],
            "share": ["Do każdej torebki trafia tyle samo: {calc}.", "Dzielimy przez liczbę torebek: {calc}."],
            "pct_part": ["{friend} dostaje {n:%} {obj:gen_pl}: {calc}.", "Obliczamy {n:%} wszystkich {obj:gen_pl}: {calc}."],
            "pct_off": ["{name} sprzedaje {n:%} {obj:gen_pl}: {calc}.", "Obliczamy, ile to {n:%}: {calc}."],
            "pct_off_rest": ["{name:dat} zostaje reszta: {calc}.", "Zostaje: {calc}."],
        },
        "shopping": {
            "groups": ["{name} zarabia {x} razy po {n:q}: {calc}.", "Mnożymy liczbę godzin przez stawkę: {calc}."],
            "gain": ["{name} ma o {n:q} więcej: {calc}.", "Dodajemy {n:q}: {calc}."],
            "lose": ["{name} płaci {n:q}: {calc}.", "Odejmujemy {n:q}: {calc}."],
            "share": ["Do każdej koperty trafia tyle samo: {calc}.", "Dzielimy przez liczbę kopert: {calc}."],
            "pct_part": ["{name} odkłada {n:%} pieniędzy: {calc}.", "Obliczamy {n:%} kwoty: {calc}."],
            "pct_off": ["{name} wydaje {n:%} pieniędzy: {calc}.", "Obliczamy {n:%} kwoty: {calc}."],
            "pct_off_rest": ["Zostaje: {calc}.", "{name:dat} zostaje reszta: {calc}."],
        },
        "journey": {
            "groups": ["Trasa ma {x} razy po {n:q}: {calc}.", "Obliczamy długość całej trasy: {calc}."],
            "gain": ["Trasa wydłuża się o {n:q}: {calc}.", "Dodajemy {n:q}: {calc}."],
            "lose": ["{name} przejeżdża {n:q}: {calc}.", "Odejmujemy {n:q}: {calc}."],
            "share": ["Dzielimy resztę trasy na {n:day}: {calc}.", "Każdego dnia {name} pokonuje tyle samo: {calc}."],
            "pct_part": ["Obliczamy {n:%} pozostałej trasy: {calc}."],
            "pct_off": ["{name} przejeżdża {n:%} trasy: {calc}.", "Obliczamy {n:%} pozostałej trasy: {calc}."],
            "pct_off_rest": ["Do przejechania zostaje: {calc}.", "Zostaje jeszcze: {calc}."],
        },
    },
    instruction="Rozwiąż zadanie krok po kroku i zakończ linijką „Odpowiedź: <liczba>”.",
    plural=plural_pl,
)
