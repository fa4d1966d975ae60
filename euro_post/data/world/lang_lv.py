"""Latvian (lv).

Plural (as CLDR): "one" when the number ends in 1 but not in 11 (1, 21, 101 ābols), "other"
for every other number (2, 10, 11, 12, 20, 25, 100 āboli). Numerals from 10 up do not
decline, and the noun takes the case its role asks for, never a genitive of quantity.
Decimals follow CLDR too: a fraction whose last digit is 1 but not 11 counts as "one"
(0,1 kilometrs), every other fraction as "other" (2,5 kilometri).

Count phrases stand as the subject, with the dative of the owner ("Annai ir 5 āboli": the
plain forms), as the object ("Jānis iedod Annai 5 ābolus" / "1 ābolu": "acc.<category>") and
after prepositions or in the locative ("4 maisiņos": "loc.<category>"). Verbs are in the
present tense, which does not mark gender; "viņam"/"viņai" is chosen by the person's gender.
Names are declined through case forms (gen "Annas", dat "Annai").
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_lv(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    digits = fraction if fraction else whole
    last_two = int(digits[-2:])
    return "one" if last_two % 10 == 1 and last_two != 11 else "other"


def counted(nom_sg: str, nom_pl: str, acc_sg: str, acc_pl: str, /, **extra: str) -> Noun:
    return Noun({"one": nom_sg, "other": nom_pl, "acc.one": acc_sg, "acc.other": acc_pl, **extra})


def thing(nom_sg: str, nom_pl: str, acc_sg: str, acc_pl: str, gen_pl: str, dat_pl: str, feminine: bool) -> Noun:
    # all_acc: "visus ābolus" / "visas pastmarkas"; from_all: "no visiem āboliem" / "no visām pastmarkām".
    every_acc, every_dat = ("visas", "visām") if feminine else ("visus", "visiem")
    return counted(
        nom_sg, nom_pl, acc_sg, acc_pl, acc_pl=acc_pl, gen_pl=gen_pl,
        all_acc=f"{every_acc} {acc_pl}", from_all=f"no {every_dat} {dat_pl}",
    )


def named(name: str, gender: str, gen: str, dat: str):
    return person(name, gender, gen=gen, dat=dat)


PACK = LanguagePack(
    code="lv",
    names=[
        named("Anna", "f", "Annas", "Annai"),
        named("Jānis", "m", "Jāņa", "Jānim"),
        named("Līga", "f", "Līgas", "Līgai"),
        named("Mārtiņš", "m", "Mārtiņa", "Mārtiņam"),
        named("Ilze", "f", "Ilzes", "Ilzei"),
        named("Andris", "m", "Andra", "Andrim"),
        named("Laura", "f", "Lauras", "Laurai"),
        named("Roberts", "m", "Roberta", "Robertam"),
    ],
    objects={
        "collection": [
            thing("ābols", "āboli", "ābolu", "ābolus", "ābolu", "āboliem", False),
            thing("pastmarka", "pastmarkas", "pastmarku", "pastmarkas", "pastmarku", "pastmarkām", True),
            thing("stikla bumbiņa", "stikla bumbiņas", "stikla bumbiņu", "stikla bumbiņas", "stikla bumbiņu",
                  "stikla bumbiņām", True),
            thing("gliemežvāks", "gliemežvāki", "gliemežvāku", "gliemežvākus", "gliemežvāku", "gliemežvākiem", False),
            thing("zīmulis", "zīmuļi", "zīmuli", "zīmuļus", "zīmuļu", "zīmuļiem", False),
            thing("poga", "pogas", "pogu", "pogas", "pogu", "pogām", True),
            thing("uzlīme", "uzlīmes", "uzlīmi", "uzlīmes", "uzlīmju", "uzlīmēm", True),
        ],
        # acc: "nopērk grāmatu"; dat: "iztērē grāmatai".
        "shopping": [
            noun(acc="grāmatu", dat="grāmatai"),
            noun(acc="kūku", dat="kūkai"),
            noun(acc="šalli", dat="šallei"),
            noun(acc="galda spēli", dat="galda spēlei"),
            noun(acc="puķi podiņā", dat="puķei podiņā"),
            noun(acc="kino biļeti", dat="kino biļetei"),
        ],
        # to: where the trip goes; till: "līdz" + dative, how far.
        "journey": [
            noun(to="uz ezeru", till="līdz ezeram"),
            noun(to="uz jūrmalu", till="līdz jūrmalai"),
            noun(to="uz kalniem", till="līdz kalniem"),
            noun(to="uz kaimiņu pilsētu", till="līdz kaimiņu pilsētai"),
            noun(to="uz veco pili", till="līdz vecajai pilij"),
        ],
    },
    nouns={
        "km": counted("km", "km", "km", "km"),
        "box": counted("kastīte", "kastītes", "kastīti", "kastītes"),
        "bag": counted("maisiņš", "maisiņi", "maisiņu", "maisiņus", **{"loc.one": "maisiņā", "loc.other": "maisiņos"}),
        "hour": counted("stunda", "stundas", "stundu", "stundas"),
        "day": counted("diena", "dienas", "dienu", "dienas", **{"loc.one": "dienā", "loc.other": "dienās"}),
        "stage": counted("posms", "posmi", "posmu", "posmus"),
        "friend": counted("draugs", "draugi", "draugu", "draugus", **{"dat.one": "draugam", "dat.other": "draugiem"}),
    },
    questions={
        "collection": {
            "start": [
                "{name:dat} ir {start:q}.",
                "{name} krāj {obj:acc_pl}. {name:g:Viņam|Viņai} jau ir {start:q}.",
                "{name:dat} atvilktnē ir {start:q}.",
            ],
            "groups": [
                "{name:dat} ir {x:box}. Katrā kastītē ir {n:q}.",
                "{name} nopērk {x:bag.acc} {obj:gen_pl}. Katrā maisiņā ir {n:q}.",
            ],
            "gain": [
                "{friend} iedod {name:dat} {n:q.acc}.",
                "Pēc tam {name} saņem vēl {n:q.acc}.",
                "{name} atrod vēl {n:q.acc}.",
            ],
            "lose": [
                "{name} iedod {friend:dat} {n:q.acc}.",
                "Tad {name} uzdāvina draugiem {n:q.acc}.",
                "{name} pazaudē {n:q.acc}.",
            ],
            "share": [
                "{name} {obj:all_acc} vienādi sadala {n:bag.loc}.",
                "{name} saliek {obj:all_acc} {n:bag.loc} tā, lai katrā būtu vienāds skaits.",
            ],
            "pct_part": ["{n:%} {obj:from_all} ir sarkanā krāsā."],
            "pct_off": ["{name} pārdod {n:%} {obj:from_all}.", "Tirdziņā {name} pārdod {n:%} {obj:from_all}."],
            "ask_total": ["Cik {obj:gen_pl} tagad ir {name:dat}?", "Cik {obj:gen_pl} {name:dat} ir beigās?"],
            "ask_share": ["Cik {obj:gen_pl} ir katrā maisiņā?", "Cik {obj:gen_pl} nonāk vienā maisiņā?"],
            "ask_part": ["Cik {obj:gen_pl} ir sarkanā krāsā?"],
        },
        "shopping": {
            "start": ["{name:dat} ir {start:q}.", "{name:dat} makā ir {start:q}.", "{name:dat} krājkasītē ir {start:q}."],
            "groups": [
                "{name} strādā {x:hour.acc} un stundā nopelna {n:q}.",
                "{name} {x:hour.acc} palīdz kaimiņiem un par katru stundu saņem {n:q}.",
            ],
            "gain": [
                "{friend} iedod {name:dat} {n:q}.",
                "Pēc tam {name} nopelna vēl {n:q}.",
                "{name} dzimšanas dienā dāvanā saņem {n:q}.",
            ],
            "lose": ["{name} nopērk {item:acc} par {n:q}.", "Tad {name} samaksā {n:q} par {item:acc}."],
            "share": [
                "{name} naudu vienādi sadala {n:friend.dat}.",
                "{name} visu savu naudu vienādās daļās atdod {n:friend.dat}.",
            ],
            "pct_part": ["{name} {n:%} savas naudas noliek krājkontā."],
            "pct_off": ["{name} {n:%} savas naudas iztērē {item:dat}."],
            "ask_total": ["Cik daudz naudas tagad ir {name:dat}?", "Cik naudas {name:dat} ir beigās?"],
            "ask_share": ["Cik naudas saņem katrs draugs?"],
            "ask_part": ["Cik naudas nonāk krājkontā?"],
        },
        "journey": {
            "start": [
                "{name} plāno velobraucienu {obj:to}. Maršruts ir {start:q} garš.",
                "Ceļš no {name:gen} mājām {obj:till} ir {start:q}.",
            ],
            "groups": [
                "{name} plāno velobraucienu {obj:to}. Maršrutā ir {x:stage}, katrs {n:q} garš.",
                "{name} plāno braukt ar velosipēdu {obj:to} {x:day.acc}, katru dienu pa {n:q}.",
            ],
            "gain": [
                "Apvedceļš maršrutu pagarina par {n:q}.",
                "Viens ceļš ir slēgts, tāpēc maršruts kļūst par {n:q} garāks.",
            ],
            "lose": ["{name} nobrauc {n:q}.", "Tad {name} nobrauc {n:q}.", "No rīta {name} nobrauc {n:q}."],
            "share": ["Atlikušo ceļu {name} grib nobraukt {n:day.loc}, katru dienu vienādu gabalu."],
            "pct_part": ["{n:%} no atlikušā maršruta ved gar upi."],
            "pct_off": ["Šodien {name} nobrauc {n:%} no atlikušā ceļa."],
            "ask_total": ["Cik kilometru {name:dat} vēl jānobrauc?", "Cik kilometru {name:dat} vēl ir priekšā?"],
            "ask_share": ["Cik kilometru {name} nobrauc katru dienu?"],
            "ask_part": ["Cik kilometru no maršruta ved gar upi?"],
        },
    },
    steps={
        "collection": {
            "groups": ["Sareizinām {x} ar {n}: {calc}.", "Kopā {name:dat} ir: {calc}."],
            "gain": ["{name} saņem vēl {n:q.acc}: {calc}.", "Pieskaitām {n}: {calc}."],
            "lose": ["Atņemam {n}: {calc}.", "{name:dat} paliek: {calc}."],
            "share": ["Katrā maisiņā ir vienāds skaits: {calc}."],
            "pct_part": ["Sarkanā krāsā ir {n:%}: {calc}."],
            "pct_off": ["{name} pārdod {n:%}: {calc}."],
            "pct_off_rest": ["{name:dat} paliek: {calc}."],
        },
        "shopping": {
            "groups": ["{name} nopelna {x} reizes {n:q}: {calc}."],
            "gain": ["{name} saņem vēl {n:q}: {calc}."],
            "lose": ["{name} samaksā {n:q}: {calc}."],
            "share": ["Katrs draugs saņem vienādu summu: {calc}."],
            "pct_part": ["Krājkontā nonāk {n:%} naudas: {calc}."],
            "pct_off": ["{name} iztērē {n:%} naudas: {calc}."],
            "pct_off_rest": ["Pāri paliek: {calc}."],
        },
        "journey": {
            "groups": ["Sareizinām {x} ar {n}: {calc}."],
            "gain": ["Maršruts kļūst garāks par {n:q}: {calc}."],
            "lose": ["{name} nobrauc {n:q}: {calc}."],
            "share": ["Dalām ar {n}: {calc}."],
            "pct_part": ["Gar upi ved {n:%} ceļa: {calc}."],
            "pct_off": ["{name} nobrauc {n:%} ceļa: {calc}."],
            "pct_off_rest": ["Vēl jānobrauc: {calc}."],
        },
    },
    instruction="Atrisini uzdevumu soli pa solim un beigās uzraksti „Atbilde: <skaitlis>”.",
    plural=plural_lv,
)
