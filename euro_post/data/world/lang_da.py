"""Danish (da).

Plural: "one" for 1, "other" otherwise ("1 æble", "5 æbler"). Counted nouns also carry their
definite plural ("def": "æblerne") for "20 % af æblerne". Names are not declined; "sin" is
the reflexive possessive for either gender.
"""

from euro_post.data.world.pack import LanguagePack, noun, person, plural_one_other

PACK = LanguagePack(
    code="da",
    names=[
        person("William", "m"), person("Emma", "f"), person("Noah", "m"), person("Ida", "f"),
        person("Oscar", "m"), person("Freja", "f"), person("Magnus", "m"), person("Clara", "f"),
    ],
    objects={
        "collection": [
            noun(one="æble", other="æbler", definite="æblerne"),
            noun(one="frimærke", other="frimærker", definite="frimærkerne"),
            noun(one="glaskugle", other="glaskugler", definite="glaskuglerne"),
            noun(one="muslingeskal", other="muslingeskaller", definite="muslingeskallerne"),
            noun(one="blyant", other="blyanter", definite="blyanterne"),
            noun(one="småkage", other="småkager", definite="småkagerne"),
        ],
        "shopping": [
            noun(a="en bog"),
            noun(a="en kage"),
            noun(a="et halstørklæde"),
            noun(a="et brætspil"),
            noun(a="en plante"),
            noun(a="en billet"),
        ],
        "journey": [
            noun(to="til søen", the="søen"),
            noun(to="til kysten", the="kysten"),
            noun(to="til vandfaldet", the="vandfaldet"),
            noun(to="til den næste by", the="den næste by"),
            noun(to="til den gamle borg", the="den gamle borg"),
        ],
    },
    nouns={
        "km": noun(one="km", other="km"),
        "box": noun(one="kasse", other="kasser"),
        "bag": noun(one="pose", other="poser"),
        "friend": noun(one="ven", other="venner"),
        "hour": noun(one="time", other="timer"),
        "day": noun(one="dag", other="dage"),
        "stage": noun(one="etape", other="etaper"),
    },
    questions={
        "collection": {
            "start": ["{name} har {start:q}.", "{name} gemmer {start:q} i en æske."],
            "groups": ["{name} har {x:box} med {n:q} i hver.", "{name} køber {x:bag} med {n:q} i hver."],
            "gain": ["{friend} giver {name} {n:q}.", "Derefter får {name} yderligere {n:q}.", "{name} finder {n:q}."],
            "lose": ["{name} giver {n:q} til {friend}.", "Derefter giver {name} {n:q} væk.", "{name} mister {n:q}."],
            "share": ["{name} fordeler alle {obj:definite} ligeligt i {n:bag}."],
            "pct_part": ["{n:%} af {obj:definite} er røde."],
            "pct_off": ["{name} sælger {n:%} af {obj:definite}."],
            "ask_total": ["Hvor mange {obj:other} har {name} nu?", "Hvor mange {obj:other} har {name} til sidst?"],
            "ask_share": ["Hvor mange {obj:other} er der i hver pose?"],
            "ask_part": ["Hvor mange {obj:other} er røde?"],
        },
        "shopping": {
            "start": ["{name} har {start:q}.", "{name} har {start:q} i sin pung."],
            "groups": ["{name} arbejder i {x:hour} og tjener {n:q} i timen."],
            "gain": ["{friend} giver {name} {n:q}.", "Derefter tjener {name} yderligere {n:q}.", "{name} får {n:q} i gave."],
            "lose": ["{name} køber {item:a} for {n:q}.", "Derefter betaler {name} {n:q} for {item:a}."],
            "share": ["{name} deler pengene ligeligt mellem {n:friend}."],
            "pct_part": ["{name} sætter {n:%} af pengene ind på en opsparingskonto."],
            "pct_off": ["{name} bruger {n:%} af pengene på {item:a}."],
            "ask_total": ["Hvor mange penge har {name} nu?", "Hvor mange penge har {name} tilbage?"],
            "ask_share": ["Hvor mange penge får hver ven?"],
            "ask_part": ["Hvor mange penge kommer ind på opsparingskontoen?"],
        },
        "journey": {
            "start": ["{name} planlægger en cykeltur {obj:to}. Ruten er {start:q} lang.",
                      "Vejen {obj:to} er {start:q} lang, og {name} tager cyklen."],
            "groups": ["{name} planlægger en cykeltur {obj:to} i {x:stage} på {n:q} hver."],
            "gain": ["En omvej gør ruten {n:q} længere.",
                     "En vej er spærret, så ruten bliver {n:q} længere.",
                     "{name} cykler forbi {item:the} på vejen, og det giver {n:q} ekstra."],
            "lose": ["{name} cykler {n:q}.", "Derefter cykler {name} {n:q}."],
            "share": ["{name} vil cykle resten på {n:day}, lige langt hver dag."],
            "pct_part": ["{n:%} af den resterende rute går langs en å."],
            "pct_off": ["I dag cykler {name} {n:%} af den resterende strækning."],
            "ask_total": ["Hvor mange kilometer skal {name} stadig cykle?"],
            "ask_share": ["Hvor mange kilometer cykler {name} om dagen?"],
            "ask_part": ["Hvor mange kilometer af ruten går langs åen?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} har {x} gange {n:q}: {calc}."],
            "gain": ["{name} får {n} mere: {calc}."],
            "lose": ["{name} giver {n} væk: {calc}."],
            "share": ["Hver pose får lige mange: {calc}."],
            "pct_part": ["{n:%} er røde: {calc}."],
            "pct_off": ["{name} sælger {n:%}: {calc}."],
            "pct_off_rest": ["Resten beholder {name}: {calc}."],
        },
        "shopping": {
            "groups": ["{name} tjener {x} gange {n:q}: {calc}."],
            "gain": ["{name} får {n:q} mere: {calc}."],
            "lose": ["{name} betaler {n:q}: {calc}."],
            "share": ["Hver ven får lige meget: {calc}."],
            "pct_part": ["{n:%} af pengene spares op: {calc}."],
            "pct_off": ["{name} bruger {n:%} af pengene: {calc}."],
            "pct_off_rest": ["Resten er tilbage: {calc}."],
        },
        "journey": {
            "groups": ["Ruten har {x:stage} på {n:q}: {calc}."],
            "gain": ["Ruten bliver {n:q} længere: {calc}."],
            "lose": ["{name} har cyklet {n:q}: {calc}."],
            "share": ["Resten fordeles på {n:day}: {calc}."],
            "pct_part": ["{n:%} af strækningen går langs åen: {calc}."],
            "pct_off": ["{name} cykler {n:%} af strækningen: {calc}."],
            "pct_off_rest": ["Resten ligger stadig foran {name}: {calc}."],
        },
    },
    instruction='Løs opgaven trin for trin, og slut med "Svar: <tal>".',
    plural=plural_one_other,
)
