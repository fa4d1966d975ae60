"""Maltese (mt).

Plural: "one" for 1 (1 tuffieħa), "few" for 0 and numbers whose last two digits are 2-10
(2, 7, 10, 102 tuffieħat: the plural), "many" for last two digits 11-19 (11-il tuffieħa: the
singular, and the numeral takes the linking "-il"), "other" for the rest (20, 21, 25, 100,
101 tuffieħa: the singular). Non-integers count as "other" ("2.5 km").

The "-il" of 11-19 is written on the digits ("11-il tuffieħa", "15-il siegħa"), which
`MaltesePack.count_phrase` adds; a unit symbol never takes it ("11 km"). Verbs agree with the
person's gender ("għandu"/"għandha", "jixtri"/"tixtri"), chosen with `{name:g:...|...}`. A verb's
initial "i" turns into "j" or drops after a vowel ("Mark isuq" but "Marija ssuq", "kilometru
jsuq"); the men's names here end in a consonant and the women's in a vowel, so the templates
write the form that fits the word before the verb. No
preposition that elides before a vowel ("f'", "b'") stands right before a number, since the
digit hides whether the numeral starts with a vowel ("erba'", "għaxar").
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, ProblemSpec, format_number, noun, person

UNIT = "unit"  # Noun.gender marking a symbol ("km") that the numeral's "-il" never joins


def plural_mt(value: Decimal) -> str:
    if value != value.to_integral_value():
        return "other"
    n = int(value)
    if n == 1:
        return "one"
    if n == 0 or 2 <= n % 100 <= 10:
        return "few"
    if 11 <= n % 100 <= 19:
        return "many"
    return "other"


class MaltesePack(LanguagePack):
    def count_phrase(self, value: Decimal, word: Noun, case: str = "") -> str:
        phrase = super().count_phrase(value, word, case)
        if self.plural_category(value) == "many" and word.gender != UNIT:
            number = format_number(Decimal(str(value)), self.code)
            phrase = f"{number}-il" + phrase[len(number):]
        return phrase


def counted(singular: str, plural: str, gender: str = "", **extra: str) -> Noun:
    """A counted noun: plural after 2-10, singular after 1 and from 11 on."""
    return Noun({"one": singular, "few": plural, "many": singular, "other": singular, **extra}, gender)


def thing(singular: str, plural: str, article: str) -> Noun:
    # the_pl: "it-tuffieħat" (the article assimilates to a sun letter); of_the: "tat-tuffieħat".
    return counted(singular, plural, pl=plural, the_pl=f"{article}-{plural}", of_the=f"ta{article[1:]}-{plural}")


PACK = MaltesePack(
    code="mt",
    names=[
        person("Marija", "f"),
        person("Mark", "m"),
        person("Rita", "f"),
        person("Ġorġ", "m"),
        person("Anna", "f"),
        person("Daniel", "m"),
        person("Tereża", "f"),
        person("Karl", "m"),
    ],
    objects={
        "collection": [
            thing("tuffieħa", "tuffieħat", "it"),
            thing("bolla", "bolol", "il"),
            thing("ballun", "blalen", "il"),
            thing("lapes", "lapsijiet", "il"),
            thing("karamella", "karamelli", "il"),
            thing("buttuna", "buttuni", "il"),
        ],
        # indef: "tixtri ktieb"; costs: "ktieb li jiswa" (the verb agrees with the item's gender).
        "shopping": [
            noun(indef="ktieb", costs="ktieb li jiswa"),
            noun(indef="kejk", costs="kejk li jiswa"),
            noun(indef="xalpa", costs="xalpa li tiswa"),
            noun(indef="logħba tal-bord", costs="logħba tal-bord li tiswa"),
            noun(indef="pjanta", costs="pjanta li tiswa"),
            noun(indef="biljett taċ-ċinema", costs="biljett taċ-ċinema li jiswa"),
        ],
        "journey": [
            noun(to="sal-bajja"),
            noun(to="sax-xatt"),
            noun(to="sal-għoljiet"),
            noun(to="sar-raħal li jmiss"),
            noun(to="sal-kastell il-qadim"),
        ],
    },
    nouns={
        "km": counted("km", "km", UNIT),
        "box": counted("kaxxa", "kaxxi"),
        "bag": counted("borża", "boroż"),
        "hour": counted("siegħa", "sigħat"),
        "friend": counted("ħabib", "ħbieb"),
        "day": counted("jum", "ijiem"),
        "stage": counted("stadju", "stadji"),
    },
    questions={
        "collection": {
            "start": [
                "{name} {name:g:għandu|għandha} {start:q}.",
                "{name} {name:g:jiġbor|tiġbor} {obj:pl}. Diġà {name:g:għandu|għandha} {start:q}.",
                "Fil-kexxun {name} {name:g:għandu|għandha} {start:q}.",
            ],
            "groups": [
                "{name} {name:g:għandu|għandha} {x:box} u f'kull kaxxa hemm {n:q}.",
                "{name} {name:g:jixtri|tixtri} {x:bag} u f'kull borża hemm {n:q}.",
            ],
            "gain": [
                "{friend} {friend:g:jagħti|tagħti} {n:q} lil {name}.",
                "Imbagħad {name} {name:g:jieħu|tieħu} {n:q} aktar.",
                "{name} {name:g:isib|ssib} {n:q} aktar.",
            ],
            "lose": [
                "{name} {name:g:jagħti|tagħti} {n:q} lil {friend}.",
                "Wara dan {name} {name:g:jagħti|tagħti} {n:q} lil {name:g:sħabu|sħabha}.",
                "{name} {name:g:jitlef|titlef} {n:q}.",
            ],
            "share": [
                "{name} {name:g:jaqsam|taqsam} {obj:the_pl} kollha b'mod ugwali ġo {n:bag}.",
                "{name} {name:g:ipoġġi|tpoġġi} {obj:the_pl} kollha ġo {n:bag}, l-istess għadd f'kull waħda.",
            ],
            "pct_part": ["{n:%} {obj:of_the} huma ħomor."],
            "pct_off": ["{name} {name:g:ibigħ|tbigħ} {n:%} {obj:of_the}.", "Fis-suq {name} {name:g:ibigħ|tbigħ} {n:%} {obj:of_the}."],
            "ask_total": [
                "Kemm-il {obj:one} {name:g:għandu|għandha} {name} issa?",
                "Kemm-il {obj:one} {name:g:għandu|għandha} {name} fl-aħħar?",
            ],
            "ask_share": ["Kemm-il {obj:one} hemm f'kull borża?"],
            "ask_part": ["Kemm minnhom huma ħomor?"],
        },
        "shopping": {
            "start": [
                "{name} {name:g:għandu|għandha} {start:q}.",
                "Fil-portmoni {name} {name:g:għandu|għandha} {start:q}.",
                "{name} {name:g:għandu|għandha} {start:q} fil-bank.",
            ],
            "groups": [
                "{name} {name:g:jaħdem|taħdem} {x:hour} u {name:g:jaqla'|taqla'} {n:q} fis-siegħa.",
                "{name} {name:g:jgħin|tgħin} lill-ġirien għal {x:hour}, u kull siegħa {name:g:jieħu|tieħu} {n:q}.",
            ],
            "gain": [
                "{friend} {friend:g:jagħti|tagħti} {n:q} lil {name}.",
                "Imbagħad {name} {name:g:jaqla'|taqla'} {n:q} aktar.",
                "{name:g:Għal għeluq sninu|Għal għeluq sninha} {name} {name:g:jieħu|tieħu} {n:q} rigal.",
            ],
            "lose": [
                "{name} {name:g:jixtri|tixtri} {item:costs} {n:q}.",
                "Wara dan {name} {name:g:iħallas|tħallas} {n:q} għal {item:indef}.",
            ],
            "share": [
                "{name} {name:g:jaqsam|taqsam} il-flus b'mod ugwali bejn {n:friend}.",
                "{name} {name:g:jaqsam|taqsam} il-flus kollha bejn {n:friend}, l-istess ammont lil kull wieħed.",
            ],
            "pct_part": ["{name} {name:g:ipoġġi|tpoġġi} {n:%} tal-flus f'kont tat-tfaddil."],
            "pct_off": ["{name} {name:g:jonfoq|tonfoq} {n:%} tal-flus fuq {item:indef}."],
            "ask_total": [
                "Kemm {name:g:għandu|għandha} flus {name} issa?",
                "Kemm {name:g:għandu|għandha} flus {name} fl-aħħar?",
            ],
            "ask_share": ["Kemm flus jieħu kull ħabib?"],
            "ask_part": ["Kemm flus imorru fil-kont tat-tfaddil?"],
        },
        "journey": {
            "start": [
                "{name} {name:g:qed jippjana|qed tippjana} ħarġa bir-rota {obj:to}. Ir-rotta hija twila {start:q}.",
                "Id-distanza mid-dar ta' {name} {obj:to} hija {start:q}.",
            ],
            "groups": [
                "{name} {name:g:qed jippjana|qed tippjana} ħarġa bir-rota {obj:to}. "
                "Ir-rotta għandha {x:stage}, kull wieħed twil {n:q}.",
                "{name} {name:g:se jsuq|se ssuq} ir-rota {obj:to} għal {x:day}, {n:q} kuljum.",
            ],
            "gain": ["Devjazzjoni żżid {n:q} mar-rotta.", "Minħabba triq magħluqa, {name} {name:g:ikollu jsuq|jkollha ssuq} {n:q} aktar."],
            "lose": [
                "{name} {name:g:isuq|ssuq} {n:q}.",
                "Wara dan {name} {name:g:isuq|ssuq} {n:q}.",
                "Filgħodu {name} {name:g:isuq|ssuq} {n:q}.",
            ],
            "share": [
                "{name} {name:g:irid isuq|trid issuq} il-bqija tar-rotta fi żmien {n:day}, l-istess distanza kuljum.",
            ],
            "pct_part": ["{n:%} tal-bqija tar-rotta tgħaddi mal-kosta."],
            "pct_off": ["Illum {name} {name:g:isuq|ssuq} {n:%} tad-distanza li fadal."],
            "ask_total": [
                "Kemm-il kilometru għad {name:g:irid isuq|trid issuq} {name}?",
                "Kemm-il kilometru għad fadal għal {name}?",
            ],
            "ask_share": ["Kemm-il kilometru {name:g:jsuq|ssuq} {name} kuljum?"],
            "ask_part": ["Kemm-il kilometru tar-rotta jgħaddu mal-kosta?"],
        },
    },
    steps={
        "collection": {
            "groups": ["Nimmultiplikaw iż-żewġ numri: {calc}.", "B'kollox {name} {name:g:għandu|għandha}: {calc}."],
            "gain": ["Inżidu {n}: {calc}.", "{name} {name:g:jieħu|tieħu} {n:q} aktar: {calc}."],
            "lose": ["Innaqqsu {n}: {calc}.", "Jibqa' għand {name}: {calc}."],
            "share": ["F'kull borża jmur l-istess għadd: {calc}."],
            "pct_part": ["{n:%} huma ħomor: {calc}."],
            "pct_off": ["{name} {name:g:ibigħ|tbigħ} {n:%}: {calc}."],
            "pct_off_rest": ["Il-bqija jibqgħu għand {name}: {calc}."],
        },
        "shopping": {
            "groups": ["B'kollox {name} {name:g:jaqla'|taqla'}: {calc}."],
            "gain": ["{name} {name:g:jieħu|tieħu} {n:q} aktar: {calc}."],
            "lose": ["{name} {name:g:iħallas|tħallas} {n:q}: {calc}."],
            "share": ["Kull ħabib jieħu l-istess ammont: {calc}."],
            "pct_part": ["{n:%} tal-flus imorru fit-tfaddil: {calc}."],
            "pct_off": ["{name} {name:g:jonfoq|tonfoq} {n:%} tal-flus: {calc}."],
            "pct_off_rest": ["Jibqa' l-bqija: {calc}."],
        },
        "journey": {
            "groups": ["It-tul tar-rotta huwa: {calc}."],
            "gain": ["Inżidu {n:q} mar-rotta: {calc}."],
            "lose": ["{name} {name:g:isuq|ssuq} {n:q}: {calc}."],
            "share": ["Naqsmu d-distanza fuq {n:day}: {calc}."],
            "pct_part": ["{n:%} tar-rotta tgħaddi mal-kosta: {calc}."],
            "pct_off": ["{name} {name:g:isuq|ssuq} {n:%} tad-distanza: {calc}."],
            "pct_off_rest": ["Jibqa' l-bqija: {calc}."],
        },
    },
    instruction="Solvi l-problema pass pass u spiċċa bil-linja “Tweġiba: <numru>”.",
    plural=plural_mt,
    money_format="€{n}",
)
