"""Romanian (ro).

Plural (CLDR ro): "one" for 1; "few" for 0, 2-19 and any n whose last two digits are 1-19, and
for decimals ("5 mere", "2,5 km"); "other" otherwise, where the noun takes "de" ("20 de mere").
Names are declined in the dative ("lui Andrei", "Mariei"); counted nouns carry the gendered
interrogative ("câte mere" / "câți biscuiți") and their definite plural.
"""

from decimal import Decimal

from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_ro(value: Decimal) -> str:
    if value != value.to_integral_value():
        return "few"
    n = int(value)
    if n == 1:
        return "one"
    if n == 0 or 1 <= n % 100 <= 19:
        return "few"
    return "other"


def counted(one: str, plural: str, definite: str = "", how: str = "") -> Noun:
    forms = {"one": one, "few": plural, "other": "de " + plural, "pl": plural}
    if definite:
        forms["definite"] = definite
    if how:
        forms["how"] = how
    return Noun(forms)


PACK = LanguagePack(
    code="ro",
    names=[
        person("Andrei", "m", dat="lui Andrei"), person("Maria", "f", dat="Mariei"),
        person("Alexandru", "m", dat="lui Alexandru"), person("Ioana", "f", dat="Ioanei"),
        person("Mihai", "m", dat="lui Mihai"), person("Elena", "f", dat="Elenei"),
        person("Ștefan", "m", dat="lui Ștefan"), person("Ana", "f", dat="Anei"),
    ],
    objects={
        "collection": [
            counted("măr", "mere", "merele", "câte mere"),
            counted("timbru", "timbre", "timbrele", "câte timbre"),
            counted("bilă", "bile", "bilele", "câte bile"),
            counted("scoică", "scoici", "scoicile", "câte scoici"),
            counted("creion", "creioane", "creioanele", "câte creioane"),
            counted("biscuit", "biscuiți", "biscuiții", "câți biscuiți"),
        ],
        "shopping": [
            noun(a="o carte"),
            noun(a="un tort"),
            noun(a="un fular"),
            noun(a="un joc de societate"),
            noun(a="o plantă"),
            noun(a="un bilet de tren"),
        ],
        "journey": [
            noun(to="la lac", until="până la lac", by="pe la lac"),
            noun(to="la mare", until="până la mare", by="pe la mare"),
            noun(to="la cascadă", until="până la cascadă", by="pe la cascadă"),
            noun(to="în satul vecin", until="până în satul vecin", by="prin satul vecin"),
            noun(to="la castelul vechi", until="până la castelul vechi", by="pe la castelul vechi"),
        ],
    },
    nouns={
        "km": Noun({"one": "km", "few": "km", "other": "km"}),
        "box": counted("cutie", "cutii"),
        "bag": counted("pungă", "pungi"),
        "friend": counted("prieten", "prieteni"),
        "hour": counted("oră", "ore"),
        "day": counted("zi", "zile"),
        "stage": counted("etapă", "etape"),
    },
    questions={
        "collection": {
            "start": ["{name} are {start:q}.", "{name} ține {start:q} într-o cutie."],
            "groups": ["{name} are {x:box} cu câte {n:q} în fiecare.", "{name} cumpără {x:bag} cu câte {n:q} în fiecare."],
            "gain": ["{friend} îi dă {name:dat} {n:q}.", "Apoi {name} mai primește {n:q}.", "{name} găsește {n:q}."],
            "lose": ["{name} îi dă {friend:dat} {n:q}.", "Apoi {name} dăruiește {n:q}.", "{name} pierde {n:q}."],
            "share": ["{name} împarte {obj:definite} în mod egal în {n:bag}."],
            "pct_part": ["{n:%} din {obj:pl} sunt roșii."],
            "pct_off": ["{name} vinde {n:%} din {obj:pl}."],
            "ask_total": ["{obj:how} are {name} acum?", "{obj:how} are {name} la sfârșit?"],
            "ask_share": ["{obj:how} sunt în fiecare pungă?"],
            "ask_part": ["{obj:how} sunt roșii?"],
        },
        "shopping": {
            "start": ["{name} are {start:q}.", "{name} are {start:q} în portofel."],
            "groups": ["{name} lucrează {x:hour} și câștigă {n:q} pe oră."],
            "gain": ["{friend} îi dă {name:dat} {n:q}.", "Apoi {name} mai câștigă {n:q}.", "{name} primește {n:q} cadou."],
            "lose": ["{name} cumpără {item:a} cu {n:q}.", "Apoi {name} plătește {n:q} pentru {item:a}."],
            "share": ["{name} împarte banii în mod egal între {n:friend}."],
            "pct_part": ["{name} pune {n:%} din bani într-un cont de economii."],
            "pct_off": ["{name} cheltuiește {n:%} din bani pe {item:a}."],
            "ask_total": ["Câți bani are {name} acum?", "Câți bani îi rămân {name:dat}?"],
            "ask_share": ["Câți bani primește fiecare prieten?"],
            "ask_part": ["Câți bani ajung în contul de economii?"],
        },
        "journey": {
            "start": ["{name} plănuiește o excursie cu bicicleta {obj:to}. Traseul are {start:q}.",
                      "Drumul {obj:until} are {start:q}, iar {name} merge cu bicicleta."],
            "groups": ["{name} plănuiește o excursie cu bicicleta {obj:to} în {x:stage} de câte {n:q}."],
            "gain": ["Un ocol lungește traseul cu {n:q}.",
                     "Un drum este închis, așa că traseul devine mai lung cu {n:q}.",
                     "Pe drum, {name} trece {item:by}, ceea ce adaugă {n:q}."],
            "lose": ["{name} parcurge {n:q}.", "Apoi {name} parcurge {n:q}."],
            "share": ["{name} vrea să parcurgă restul în {n:day}, aceeași distanță în fiecare zi."],
            "pct_part": ["{n:%} din traseul rămas trece pe lângă un râu."],
            "pct_off": ["Astăzi {name} parcurge {n:%} din distanța rămasă."],
            "ask_total": ["Câți kilometri mai are {name} de parcurs?"],
            "ask_share": ["Câți kilometri parcurge {name} pe zi?"],
            "ask_part": ["Câți kilometri din traseu trec pe lângă râu?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} are de {x} ori {n:q}: {calc}."],
            "gain": ["{name} mai primește {n}: {calc}."],
            "lose": ["{name} dă {n}: {calc}."],
            "share": ["Fiecare pungă primește aceeași cantitate: {calc}."],
            "pct_part": ["{n:%} sunt roșii: {calc}."],
            "pct_off": ["{name} vinde {n:%}: {calc}."],
            "pct_off_rest": ["Restul rămâne la {name}: {calc}."],
        },
        "shopping": {
            "groups": ["{name} câștigă de {x} ori {n:q}: {calc}."],
            "gain": ["{name} mai primește {n:q}: {calc}."],
            "lose": ["{name} plătește {n:q}: {calc}."],
            "share": ["Fiecare prieten primește aceeași sumă: {calc}."],
            "pct_part": ["Se economisesc {n:%} din bani: {calc}."],
            "pct_off": ["{name} cheltuiește {n:%} din bani: {calc}."],
            "pct_off_rest": ["Rămâne restul: {calc}."],
        },
        "journey": {
            "groups": ["Traseul are {x:stage} de câte {n:q}: {calc}."],
            "gain": ["Traseul se lungește cu {n:q}: {calc}."],
            "lose": ["{name} a parcurs {n:q}: {calc}."],
            "share": ["Restul se împarte pe {n:day}: {calc}."],
            "pct_part": ["{n:%} din traseu trece pe lângă râu: {calc}."],
            "pct_off": ["{name} parcurge {n:%} din traseu: {calc}."],
            "pct_off_rest": ["Rămâne restul: {calc}."],
        },
    },
    instruction="Rezolvă problema pas cu pas și încheie cu „Răspuns: <număr>”.",
    plural=plural_ro,
)
