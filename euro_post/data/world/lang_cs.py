"""Czech (cs).

Plural (as CLDR): "one" for exactly 1 (1 jablko), "few" for 2-4 (2 jablka), "other" for every
other integer, compounds included (5, 11, 21, 22, 101, 102 jablek), and "fraction" for
non-integers, which take the genitive singular (2,5 kilogramu).

Count phrases stand where the accusative is needed (má 1 známku / 2 známky / 5 známek); after
"do" they take the genitive ("do 3 sáčků"), the "gen.<category>" forms. No count phrase is the
subject of a verb whose form would depend on the numeral ("leží" is both singular and plural).
Verbs are in the present tense (perfective present for single events, as in Czech word
problems), which does not mark the person's gender; names are declined through case forms.
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_cs(value: Decimal) -> str:
    if value != value.to_integral_value():
        return "fraction"
    n = int(value)
    if n == 1:
        return "one"
    if 2 <= n <= 4:
        return "few"
    return "other"


def counted(one: str, few: str, other: str, gen_one: str, **extra: str) -> Noun:
    """A counted noun: accusative after a numeral (one/few/other), genitive after "do"."""
    return Noun({
        "one": one, "few": few, "other": other, "fraction": gen_one,
        "gen.one": gen_one, "gen.few": other, "gen.other": other, "gen.fraction": gen_one,
        "gen_pl": other, **extra,
    })


PACK = LanguagePack(
    code="cs",
    names=[
        person("Jana", "f", gen="Jany", dat="Janě"),
        person("Petr", "m", gen="Petra", dat="Petrovi"),
        person("Tereza", "f", gen="Terezy", dat="Tereze"),
        person("Tomáš", "m", gen="Tomáše", dat="Tomášovi"),
        person("Lucie", "f", gen="Lucie", dat="Lucii"),
        person("Jakub", "m", gen="Jakuba", dat="Jakubovi"),
        person("Eva", "f", gen="Evy", dat="Evě"),
        person("Martin", "m", gen="Martina", dat="Martinovi"),
    ],
    objects={
        # pl: the plural without a numeral ("sbírá známky"); all: "všechny/všechna" + plural.
        "collection": [
            counted("jablko", "jablka", "jablek", "jablka", pl="jablka", all="všechna jablka"),
            counted("známku", "známky", "známek", "známky", pl="známky", all="všechny známky"),
            counted("kuličku", "kuličky", "kuliček", "kuličky", pl="kuličky", all="všechny kuličky"),
            counted("mušli", "mušle", "mušlí", "mušle", pl="mušle", all="všechny mušle"),
            counted("pastelku", "pastelky", "pastelek", "pastelky", pl="pastelky", all="všechny pastelky"),
            counted("ořech", "ořechy", "ořechů", "ořechu", pl="ořechy", all="všechny ořechy"),
            counted("kamínek", "kamínky", "kamínků", "kamínku", pl="kamínky", all="všechny kamínky"),
        ],
        "shopping": [
            noun(acc="knihu"),
            noun(acc="dort"),
            noun(acc="šálu"),
            noun(acc="deskovou hru"),
            noun(acc="pokojovou rostlinu"),
            noun(acc="lístek do kina"),
        ],
        "journey": [
            noun(to="k jezeru"),
            noun(to="k moři"),
            noun(to="do hor"),
            noun(to="do sousedního města"),
            noun(to="ke starému hradu"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km", "km"),
        "box": counted("krabici", "krabice", "krabic", "krabice"),
        "bag": counted("sáček", "sáčky", "sáčků", "sáčku"),
        "envelope": counted("obálku", "obálky", "obálek", "obálky"),
        "hour": counted("hodinu", "hodiny", "hodin", "hodiny"),
        "day": counted("den", "dny", "dní", "dne"),
        "stage": counted("etapu", "etapy", "etap", "etapy"),
    },
    questions={
        "collection": {
            "start": [
                "{name} má {start:q}.",
                "{name} sbírá {obj:pl} a zatím má {start:q}.",
                "V šuplíku má {name} {start:q}.",
            ],
            "groups": [
                "{name} má {x:box} a v každé z nich leží {n:q}.",
                "{name} koupí {x:bag} {obj:gen_pl}, v každém {n:q}.",
            ],
            "gain": [
                "{friend} dá {name:dat} {n:q}.",
                "Potom {name} dostane ještě {n:q}.",
                "{name} najde ještě {n:q}.",
            ],
            "lose": [
                "{name} dá {friend:dat} {n:q}.",
                "Pak {name} rozdá {n:q} kamarádům.",
                "{name} ztratí {n:q}.",
            ],
            "share": [
                "{name} rozdělí {obj:all} rovným dílem do {n:bag.gen}.",
                "{name} rozdělí {obj:all} do {n:bag.gen} tak, aby v každém bylo stejně mnoho.",
            ],
            "pct_part": [
                "{name} dá {friend:dat} {n:%} svých {obj:gen_pl}.",
                "{n:%} svých {obj:gen_pl} daruje {name} {friend:dat}.",
            ],
            "pct_off": [
                "{name} prodá {n:%} svých {obj:gen_pl}.",
                "Na bleším trhu prodá {name} {n:%} svých {obj:gen_pl}.",
            ],
            "ask_total": ["Kolik {obj:gen_pl} má {name} teď?", "Kolik {obj:gen_pl} má {name} nakonec?"],
            "ask_share": ["Kolik {obj:gen_pl} bude v každém sáčku?", "Kolik {obj:gen_pl} připadne na jeden sáček?"],
            "ask_part": ["Kolik {obj:gen_pl} dostane {friend}?"],
        },
        "shopping": {
            "start": [
                "{name} má {start:q}.",
                "{name} má v peněžence {start:q}.",
                "V pokladničce má {name} {start:q}.",
            ],
            "groups": [
                "{name} pracuje {x:hour} a za každou hodinu dostane {n:q}.",
                "{name} pomáhá sousedům {x:hour} a za hodinu si vydělá {n:q}.",
            ],
            "gain": [
                "{friend} dá {name:dat} {n:q}.",
                "Potom si {name} vydělá ještě {n:q}.",
                "{name} dostane k narozeninám {n:q}.",
            ],
            "lose": [
                "{name} si koupí {item:acc} za {n:q}.",
                "Pak {name} zaplatí {n:q} za {item:acc}.",
            ],
            "share": [
                "{name} rozdělí všechny peníze rovným dílem do {n:envelope.gen}.",
                "{name} rozdělí peníze do {n:envelope.gen} tak, aby v každé byla stejná částka.",
            ],
            "pct_part": [
                "{name} si odloží {n:%} svých peněz na dovolenou.",
                "{n:%} svých peněz si {name} odloží na nové kolo.",
            ],
            "pct_off": [
                "{name} utratí {n:%} svých peněz za {item:acc}.",
                "Za {item:acc} utratí {name} {n:%} svých peněz.",
            ],
            "ask_total": ["Kolik peněz má {name} teď?", "Kolik peněz má {name} nakonec?"],
            "ask_share": ["Kolik peněz bude v každé obálce?", "Kolik peněz připadne na jednu obálku?"],
            "ask_part": ["Kolik peněz si {name} odloží?"],
        },
        "journey": {
            "start": [
                "{name} plánuje cyklovýlet {obj:to}. Trasa měří {start:q}.",
                "Cesta od domu {name:gen} {obj:to} měří {start:q}. {name} tam jede na kole.",
            ],
            "groups": [
                "{name} plánuje cyklovýlet {obj:to} na {x:stage} po {n:q}.",
                "{name} pojede na kole {obj:to} {x:day} a každý den ujede {n:q}.",
            ],
            "gain": [
                "Objížďka prodlouží trasu o {n:q}.",
                "Jedna silnice je uzavřená, takže se trasa prodlouží o {n:q}.",
                "Kvůli opravě silnice se trasa prodlouží o {n:q}.",
            ],
            "lose": [
                "{name} ujede {n:q}.",
                "Pak {name} ujede {n:q}.",
                "Na dalším úseku ujede {name} {n:q}.",
            ],
            "share": [
                "Zbytek trasy chce {name} ujet za {n:day}, každý den stejný kus.",
                "{name} si zbytek trasy rozdělí rovným dílem na {n:day}.",
            ],
            "pct_part": [
                "Na {n:%} zbývající trasy jede {name} podél řeky.",
                "Na {n:%} zbývající trasy vede cesta podél řeky.",
            ],
            "pct_off": [
                "Dnes {name} ujede {n:%} zbývající trasy.",
                "Dnes zvládne {name} {n:%} zbývající trasy.",
            ],
            "ask_total": ["Kolik kilometrů musí {name} ještě ujet?", "Kolik kilometrů zbývá {name:dat} ujet?"],
            "ask_share": ["Kolik kilometrů ujede {name} každý den?"],
            "ask_part": ["Kolik kilometrů trasy vede podél řeky?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} má {x}krát {n:q}: {calc}.", "Spočítáme {obj:all}: {calc}."],
            "gain": ["{name} má o {n:q} více: {calc}.", "Přičteme {n:q}: {calc}."],
            "lose": ["Odečteme {n:q}: {calc}.", "{name} má o {n:q} méně: {calc}."],
            "share": ["Do každého sáčku přijde stejný počet: {calc}.", "Vydělíme počtem sáčků: {calc}."],
            "pct_part": ["{friend} dostane {n:%} {obj:gen_pl}: {calc}.", "Spočítáme {n:%} všech {obj:gen_pl}: {calc}."],
            "pct_off": ["{name} prodá {n:%} {obj:gen_pl}: {calc}.", "Spočítáme, kolik je {n:%}: {calc}."],
            "pct_off_rest": ["{name:dat} zbude zbytek: {calc}.", "Zbývá: {calc}."],
        },
        "shopping": {
            "groups": ["{name} vydělá {x}krát {n:q}: {calc}.", "Vynásobíme počet hodin hodinovou mzdou: {calc}."],
            "gain": ["{name} má o {n:q} více: {calc}.", "Přičteme {n:q}: {calc}."],
            "lose": ["{name} zaplatí {n:q}: {calc}.", "Odečteme {n:q}: {calc}."],
            "share": ["Do každé obálky přijde stejná částka: {calc}.", "Vydělíme počtem obálek: {calc}."],
            "pct_part": ["{name} si odloží {n:%} peněz: {calc}.", "Spočítáme {n:%} z celé částky: {calc}."],
            "pct_off": ["{name} utratí {n:%} peněz: {calc}.", "Spočítáme {n:%} z celé částky: {calc}."],
            "pct_off_rest": ["Zbytek zůstane {name:dat}: {calc}.", "Zbývá: {calc}."],
        },
        "journey": {
            "groups": ["Trasa měří {x}krát {n:q}: {calc}.", "Spočítáme délku celé trasy: {calc}."],
            "gain": ["Objížďka přidá {n:q}: {calc}.", "Přičteme {n:q}: {calc}."],
            "lose": ["{name} ujede {n:q}: {calc}.", "Odečteme {n:q}: {calc}."],
            "share": ["Zbytek rozdělíme na {n:day}: {calc}.", "Každý den ujede {name} stejný kus: {calc}."],
            "pct_part": ["Spočítáme {n:%} zbývající trasy: {calc}."],
            "pct_off": ["{name} ujede {n:%} trasy: {calc}.", "Spočítáme {n:%} zbývající trasy: {calc}."],
            "pct_off_rest": ["Zbývá ujet: {calc}.", "Ještě zbývá: {calc}."],
        },
    },
    instruction="Vyřeš úlohu krok za krokem a na konec napiš řádek „Odpověď: <číslo>“.",
    plural=plural_cs,
)
