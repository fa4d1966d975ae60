"""Italian (it).

Plural: "one" for 1, "other" otherwise. Counted nouns carry the interrogative with the right
gender ("how": "Quante mele" / "Quanti biscotti") and the partitive article ("dei": "delle
mele"). A percentage takes the article, elided before a vowel sound: the spec `{n:%il}` writes
"il 20%" or "l'80%". Colour is said as "di colore rosso" so it never agrees with the noun.
"""

from decimal import Decimal

from euro_post.data.languages import format_percent
from euro_post.data.world.pack import LanguagePack, Noun, ProblemSpec, noun, person, plural_one_other


def counted(one: str, other: str, how: str, dei: str, the: str) -> Noun:
    return Noun({"one": one, "other": other, "how": how, "dei": dei, "the": the})


def percent_article(value: Decimal) -> str:
    """ "l'" before numbers read with an initial vowel (uno, otto, undici, ottanta...), else "il "."""
    digits = format(value.normalize(), "f").split(".")[0]
    return "l'" if digits.startswith("8") or digits in ("1", "11") else "il "


class ItalianPack(LanguagePack):
    def render_number(self, value: Decimal, fmt: str, spec: ProblemSpec) -> str:
        if fmt == "%il":
            return percent_article(value) + format_percent(value, self.code)
        return super().render_number(value, fmt, spec)


PACK = ItalianPack(
    code="it",
    names=[
        person("Leonardo", "m"), person("Giulia", "f"), person("Francesco", "m"), person("Sofia", "f"),
        person("Matteo", "m"), person("Beatrice", "f"), person("Lorenzo", "m"), person("Chiara", "f"),
    ],
    objects={
        "collection": [
            counted("mela", "mele", "quante mele", "delle mele", "le mele"),
            counted("francobollo", "francobolli", "quanti francobolli", "dei francobolli", "i francobolli"),
            counted("biglia", "biglie", "quante biglie", "delle biglie", "le biglie"),
            counted("conchiglia", "conchiglie", "quante conchiglie", "delle conchiglie", "le conchiglie"),
            counted("matita", "matite", "quante matite", "delle matite", "le matite"),
            counted("biscotto", "biscotti", "quanti biscotti", "dei biscotti", "i biscotti"),
        ],
        "shopping": [
            noun(a="un libro"),
            noun(a="una torta"),
            noun(a="una sciarpa"),
            noun(a="un gioco da tavolo"),
            noun(a="una pianta"),
            noun(a="un biglietto del treno"),
        ],
        "journey": [
            noun(to="al lago", by="dal lago"),
            noun(to="alla costa", by="dalla costa"),
            noun(to="alla cascata", by="dalla cascata"),
            noun(to="al paese vicino", by="dal paese vicino"),
            noun(to="al vecchio castello", by="dal vecchio castello"),
        ],
    },
    nouns={
        "km": noun(one="km", other="km"),
        "box": noun(one="scatola", other="scatole"),
        "bag": noun(one="sacchetto", other="sacchetti"),
        "friend": noun(one="amico", other="amici"),
        "hour": noun(one="ora", other="ore"),
        "day": noun(one="giorno", other="giorni"),
        "stage": noun(one="tappa", other="tappe"),
    },
    questions={
        "collection": {
            "start": ["{name} ha {start:q}.", "{name} tiene {start:q} in una scatola."],
            "groups": ["{name} ha {x:box} con {n:q} ciascuna.", "{name} compra {x:bag} da {n:q} l'uno."],
            "gain": ["{friend} dà {n:q} a {name}.", "Poi {name} riceve ancora {n:q}.", "{name} trova {n:q}."],
            "lose": ["{name} dà {n:q} a {friend}.", "Poi {name} regala {n:q}.", "{name} perde {n:q}."],
            "share": ["{name} divide {obj:the} in parti uguali in {n:bag}."],
            "pct_part": ["{n:%il} {obj:dei} è di colore rosso."],
            "pct_off": ["{name} vende {n:%il} {obj:dei}."],
            "ask_total": ["{obj:how} ha {name} adesso?", "{obj:how} ha {name} alla fine?"],
            "ask_share": ["{obj:how} ci sono in ogni sacchetto?"],
            "ask_part": ["{obj:how} sono di colore rosso?"],
        },
        "shopping": {
            "start": ["{name} ha {start:q}.", "{name} ha {start:q} nel portafoglio."],
            "groups": ["{name} lavora per {x:hour} e guadagna {n:q} all'ora."],
            "gain": ["{friend} dà {n:q} a {name}.", "Poi {name} guadagna altri {n:q}.", "{name} riceve {n:q} in regalo."],
            "lose": ["{name} compra {item:a} per {n:q}.", "Poi {name} paga {n:q} per {item:a}."],
            "share": ["{name} divide i soldi in parti uguali tra {n:friend}."],
            "pct_part": ["{name} mette {n:%il} dei soldi su un conto di risparmio."],
            "pct_off": ["{name} spende {n:%il} dei soldi per {item:a}."],
            "ask_total": ["Quanti soldi ha {name} adesso?", "Quanti soldi restano a {name}?"],
            "ask_share": ["Quanti soldi riceve ogni amico?"],
            "ask_part": ["Quanti soldi vanno sul conto di risparmio?"],
        },
        "journey": {
            "start": ["{name} programma una gita in bicicletta {obj:to}. Il percorso è lungo {start:q}.",
                      "La strada per andare {obj:to} è lunga {start:q} e {name} ci va in bicicletta."],
            "groups": ["{name} programma una gita in bicicletta {obj:to} in {x:stage} da {n:q} ciascuna."],
            "gain": ["Una deviazione allunga il percorso di {n:q}.",
                     "Una strada è chiusa, quindi il percorso si allunga di {n:q}.",
                     "Lungo la strada {name} passa {item:by}, e questo aggiunge {n:q}."],
            "lose": ["{name} percorre {n:q}.", "Poi {name} percorre {n:q}."],
            "share": ["{name} vuole fare il resto in {n:day}, la stessa distanza ogni giorno."],
            "pct_part": ["{n:%il} del percorso rimanente costeggia un fiume."],
            "pct_off": ["Oggi {name} percorre {n:%il} della distanza rimanente."],
            "ask_total": ["Quanti chilometri deve ancora percorrere {name}?"],
            "ask_share": ["Quanti chilometri percorre {name} ogni giorno?"],
            "ask_part": ["Quanti chilometri del percorso costeggiano il fiume?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} ha {x} volte {n:q}: {calc}."],
            "gain": ["{name} ne riceve {n}: {calc}."],
            "lose": ["{name} ne dà via {n}: {calc}."],
            "share": ["Ogni sacchetto ne contiene lo stesso numero: {calc}."],
            "pct_part": ["{n:%il} è di colore rosso: {calc}."],
            "pct_off": ["{name} ne vende {n:%il}: {calc}."],
            "pct_off_rest": ["Il resto rimane a {name}: {calc}."],
        },
        "shopping": {
            "groups": ["{name} guadagna {x} volte {n:q}: {calc}."],
            "gain": ["{name} riceve altri {n:q}: {calc}."],
            "lose": ["{name} paga {n:q}: {calc}."],
            "share": ["Ogni amico riceve la stessa somma: {calc}."],
            "pct_part": ["{n:%il} dei soldi viene risparmiato: {calc}."],
            "pct_off": ["{name} spende {n:%il} dei soldi: {calc}."],
            "pct_off_rest": ["Il resto rimane: {calc}."],
        },
        "journey": {
            "groups": ["Il percorso ha {x:stage} da {n:q}: {calc}."],
            "gain": ["Il percorso si allunga di {n:q}: {calc}."],
            "lose": ["{name} ha percorso {n:q}: {calc}."],
            "share": ["Il resto si divide in {n:day}: {calc}."],
            "pct_part": ["{n:%il} del percorso costeggia il fiume: {calc}."],
            "pct_off": ["{name} percorre {n:%il} del percorso: {calc}."],
            "pct_off_rest": ["Il resto è ancora da fare: {calc}."],
        },
    },
    instruction='Risolvi il problema passo dopo passo e concludi con "Risposta: <numero>".',
    plural=plural_one_other,
)
