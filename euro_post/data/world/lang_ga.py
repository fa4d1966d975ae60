"""Irish (ga).

After a numeral Irish keeps the noun in the singular (trí stampa, fiche stampa, céad stampa)
and mutates its first letter: lenition after 1-6 (trí chóta), eclipsis after 7-10 (seacht
gcóta). Written with digits the mutation still follows the spoken numeral, and from 11 on the
spoken form splits the numeral around the noun (dhá chóta déag, cóta is fiche), so "12 cóta"
has no settled written form. Every noun this pack counts therefore begins with a sound that
no mutation changes in writing (l, n, r, sc, sm, sp, st): "3 stampa", "7 stampa", "12 stampa"
and "25 lá" are correct however the number is read. `tests/test_world_packs_other.py` checks
that rule for every counted noun.

Plural categories follow CLDR ("one" 1, "two" 2, "few" 3-6, "many" 7-10, "other"), which is
also where the mutations change; each counted noun gives the singular for all of them.
Prepositions that mutate a name are written out per name ("do Shíle", "d'Aoife"); "sé"/"sí"
and "aige"/"aici" are chosen by the person's gender.
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person

CATEGORIES = ("one", "two", "few", "many", "other")
# Initial letters that neither lenition nor eclipsis changes in writing.
IMMUNE_INITIALS = ("l", "n", "r", "sc", "sm", "sp", "st")


def plural_ga(value: Decimal) -> str:
    if value != value.to_integral_value():
        return "other"
    n = int(value)
    if n == 1:
        return "one"
    if n == 2:
        return "two"
    if 3 <= n <= 6:
        return "few"
    if 7 <= n <= 10:
        return "many"
    return "other"


def counted(singular: str, **extra: str) -> Noun:
    """A counted noun: the singular after every numeral (its initial is mutation-proof)."""
    return Noun({**{c: singular for c in CATEGORIES}, **extra})


def thing(singular: str, plural: str) -> Noun:
    # pl: "bailíonn sí stampaí"; the_pl: "na stampaí" (no h- or t- needed before these initials).
    return counted(singular, pl=plural, the_pl=f"na {plural}")


def named(name: str, gender: str, do: str):
    return person(name, gender, do=do)


PACK = LanguagePack(
    code="ga",
    names=[
        named("Síle", "f", "do Shíle"),
        named("Seán", "m", "do Sheán"),
        named("Aoife", "f", "d'Aoife"),
        named("Ciarán", "m", "do Chiarán"),
        named("Niamh", "f", "do Niamh"),
        named("Pádraig", "m", "do Phádraig"),
        named("Róisín", "f", "do Róisín"),
        named("Eoin", "m", "d'Eoin"),
    ],
    objects={
        "collection": [
            thing("stampa", "stampaí"),
            thing("liathróid", "liathróidí"),
            thing("líreacán", "líreacáin"),
            thing("ribín", "ribíní"),
            thing("rós", "rósanna"),
            thing("lipéad", "lipéid"),
        ],
        # indef: "ceannaíonn sí císte"; ar: "ar chíste" (ar lenites).
        "shopping": [
            noun(indef="leabhar", ar="ar leabhar"),
            noun(indef="císte", ar="ar chíste"),
            noun(indef="scaif", ar="ar scaif"),
            noun(indef="cluiche boird", ar="ar chluiche boird"),
            noun(indef="planda", ar="ar phlanda"),
            noun(indef="ticéad pictiúrlainne", ar="ar thicéad pictiúrlainne"),
        ],
        "journey": [
            noun(to="go dtí an loch"),
            noun(to="go dtí an cósta"),
            noun(to="go dtí na sléibhte"),
            noun(to="go dtí an chéad bhaile eile"),
            noun(to="go dtí an seanchaisleán"),
        ],
    },
    nouns={
        "km": counted("km"),
        "tin": counted("stán"),
        "row": counted("ró"),
        "purse": counted("sparán"),
        "day": counted("lá"),
        "stage": counted("stráice"),
    },
    questions={
        "collection": {
            "start": [
                "Tá {start:q} ag {name}.",
                "Bailíonn {name} {obj:pl}. Tá {start:q} {name:g:aige|aici} cheana féin.",
                "Tá {start:q} ag {name} i dtarraiceán.",
            ],
            "groups": [
                "Tá {x:tin} ag {name} agus tá {n:q} i ngach stán.",
                "Leagann {name} {obj:the_pl} amach i {x:row} agus cuireann {name:g:sé|sí} {n:q} i ngach ró.",
            ],
            "gain": [
                "Tugann {friend} {n:q} {name:do}.",
                "Ansin faigheann {name} {n:q} eile.",
                "Aimsíonn {name} {n:q} eile.",
            ],
            "lose": [
                "Tugann {name} {n:q} {friend:do}.",
                "Ina dhiaidh sin tugann {name} {n:q} {name:g:uaidh|uaithi}.",
                "Cailleann {name} {n:q}.",
            ],
            "share": [
                "Cuireann {name} {obj:the_pl} go léir i {n:tin}, an líon céanna i ngach stán.",
                "Roinneann {name} {obj:the_pl} go cothrom idir {n:tin}.",
            ],
            "pct_part": ["Tá {n:%} de {obj:the_pl} dearg."],
            "pct_off": ["Díolann {name} {n:%} de {obj:the_pl}.", "Ag an aonach, díolann {name} {n:%} de {obj:the_pl}."],
            "ask_total": ["Cé mhéad {obj:one} atá ag {name} anois?", "Cé mhéad {obj:one} atá ag {name} faoi dheireadh?"],
            "ask_share": ["Cé mhéad {obj:one} atá i ngach stán?"],
            "ask_part": ["Cé mhéad {obj:one} atá dearg?"],
        },
        "shopping": {
            "start": ["Tá {start:q} ag {name}.", "Tá {start:q} sa sparán ag {name}.", "Tá {start:q} coigilte ag {name}."],
            "groups": [
                "Oibríonn {name} ar feadh {x:day} agus tuilleann {name:g:sé|sí} {n:q} sa lá.",
                "Cabhraíonn {name} le comharsa ar feadh {x:day} agus faigheann {name:g:sé|sí} {n:q} in aghaidh an lae.",
            ],
            "gain": [
                "Tugann {friend} {n:q} {name:do}.",
                "Ansin tuilleann {name} {n:q} eile.",
                "Faigheann {name} {n:q} mar bhronntanas lá breithe.",
            ],
            "lose": ["Ceannaíonn {name} {item:indef} ar {n:q}.", "Ina dhiaidh sin íocann {name} {n:q} {item:ar}."],
            "share": [
                "Cuireann {name} an t-airgead go léir i {n:purse}, an méid céanna i ngach sparán.",
                "Roinneann {name} an t-airgead go cothrom idir {n:purse}.",
            ],
            "pct_part": ["Cuireann {name} {n:%} den airgead i gcuntas coigiltis."],
            "pct_off": ["Caitheann {name} {n:%} den airgead {item:ar}."],
            "ask_total": ["Cé mhéad airgid atá ag {name} anois?", "Cé mhéad airgid atá ag {name} faoi dheireadh?"],
            "ask_share": ["Cé mhéad airgid atá i ngach sparán?"],
            "ask_part": ["Cé mhéad airgid a théann isteach sa chuntas coigiltis?"],
        },
        "journey": {
            "start": [
                "Tá turas rothair beartaithe ag {name} {obj:to}. Tá an bealach {start:q} ar fad.",
                "Tá {name} ag dul ar rothar {obj:to}. Tá an bealach {start:q} ar fad.",
            ],
            "groups": [
                "Tá turas rothair beartaithe ag {name} {obj:to} i {x:stage} de {n:q} an ceann.",
                "Tá {name} ag dul ar rothar {obj:to} thar {x:day}, {n:q} gach lá.",
            ],
            "gain": [
                "Mar gheall ar bhóthar dúnta, tá an bealach {n:q} níos faide.",
                "Caithfidh {name} dul timpeall, rud a chuireann {n:q} leis an mbealach.",
            ],
            "lose": ["Rothaíonn {name} {n:q}.", "Ina dhiaidh sin rothaíonn {name} {n:q}.", "Ar maidin rothaíonn {name} {n:q}."],
            "share": ["Tá {name} ag iarraidh an chuid eile den bhealach a rothaíocht thar {n:day}, an fad céanna gach lá."],
            "pct_part": ["Ritheann {n:%} den chuid eile den bhealach cois abhann."],
            "pct_off": ["Inniu rothaíonn {name} {n:%} den fhad atá fágtha."],
            "ask_total": ["Cé mhéad ciliméadar atá fós le rothaíocht ag {name}?", "Cé mhéad ciliméadar atá fágtha ag {name}?"],
            "ask_share": ["Cé mhéad ciliméadar a rothaíonn {name} gach lá?"],
            "ask_part": ["Cé mhéad ciliméadar den bhealach atá cois abhann?"],
        },
    },
    steps={
        "collection": {
            "groups": ["Iolraímid {x} faoi {n}: {calc}.", "Tá an méid seo ag {name} san iomlán: {calc}."],
            "gain": ["Tá {n:q} níos mó ag {name}: {calc}.", "Cuirimid {n} leis: {calc}."],
            "lose": ["Tá {n:q} níos lú ag {name}: {calc}.", "Bainimid {n} de: {calc}."],
            "share": ["Roinnimid ar {n}: {calc}."],
            "pct_part": ["Tá {n:%} díobh dearg: {calc}."],
            "pct_off": ["Díolann {name} {n:%} díobh: {calc}."],
            "pct_off_rest": ["Fanann an chuid eile ag {name}: {calc}."],
        },
        "shopping": {
            "groups": ["Tuilleann {name} {n:q} gach lá ar feadh {x:day}: {calc}."],
            "gain": ["Faigheann {name} {n:q} eile: {calc}."],
            "lose": ["Íocann {name} {n:q}: {calc}."],
            "share": ["Bíonn an méid céanna i ngach sparán: {calc}."],
            "pct_part": ["Téann {n:%} den airgead sa chuntas: {calc}."],
            "pct_off": ["Caitheann {name} {n:%} den airgead: {calc}."],
            "pct_off_rest": ["Tá an chuid eile fágtha: {calc}."],
        },
        "journey": {
            "groups": ["Iolraímid {x} faoi {n}: {calc}."],
            "gain": ["Cuirtear {n:q} leis an mbealach: {calc}."],
            "lose": ["Rothaíonn {name} {n:q}: {calc}."],
            "share": ["Roinnimid an fad ar {n}: {calc}."],
            "pct_part": ["Tá {n:%} den bhealach cois abhann: {calc}."],
            "pct_off": ["Rothaíonn {name} {n:%} den fhad: {calc}."],
            "pct_off_rest": ["Tá an chuid eile fós le rothaíocht: {calc}."],
        },
    },
    instruction="Réitigh an fhadhb céim ar chéim agus críochnaigh le “Freagra: <uimhir>”.",
    plural=plural_ga,
    money_format="€{n}",
)
