"""Spanish (es).

Plural: "one" for 1, "other" otherwise. Counted nouns carry the gendered interrogative
("how": "cuántas manzanas" / "cuántos sellos"), the definite plural ("the") and "de los/las"
("of"); colour is said as "de color rojo" so it never agrees with the noun. Questions open
with "¿" (the framework capitalises the first letter after it).
"""

from euro_post.data.world.pack import LanguagePack, Noun, noun, person, plural_one_other


def counted(one: str, other: str, how: str, the: str) -> Noun:
    return Noun({"one": one, "other": other, "how": how, "the": the, "of": "de " + the})


PACK = LanguagePack(
    code="es",
    names=[
        person("Hugo", "m"), person("Lucía", "f"), person("Mateo", "m"), person("Sofía", "f"),
        person("Martín", "m"), person("Martina", "f"), person("Pablo", "m"), person("Valeria", "f"),
    ],
    objects={
        "collection": [
            counted("manzana", "manzanas", "cuántas manzanas", "las manzanas"),
            counted("sello", "sellos", "cuántos sellos", "los sellos"),
            counted("canica", "canicas", "cuántas canicas", "las canicas"),
            counted("concha", "conchas", "cuántas conchas", "las conchas"),
            counted("lápiz", "lápices", "cuántos lápices", "los lápices"),
            counted("galleta", "galletas", "cuántas galletas", "las galletas"),
        ],
        "shopping": [
            noun(a="un libro"),
            noun(a="una tarta"),
            noun(a="una bufanda"),
            noun(a="un juego de mesa"),
            noun(a="una planta"),
            noun(a="una entrada de cine"),
        ],
        "journey": [
            noun(to="al lago", until="hasta el lago", by="por el lago"),
            noun(to="a la costa", until="hasta la costa", by="por la costa"),
            noun(to="a la cascada", until="hasta la cascada", by="por la cascada"),
            noun(to="al pueblo vecino", until="hasta el pueblo vecino", by="por el pueblo vecino"),
            noun(to="al castillo viejo", until="hasta el castillo viejo", by="por el castillo viejo"),
        ],
    },
    nouns={
        "km": noun(one="km", other="km"),
        "box": noun(one="caja", other="cajas"),
        "bag": noun(one="bolsa", other="bolsas"),
        "friend": noun(one="amigo", other="amigos"),
        "hour": noun(one="hora", other="horas"),
        "day": noun(one="día", other="días"),
        "stage": noun(one="etapa", other="etapas"),
    },
    questions={
        "collection": {
            "start": ["{name} tiene {start:q}.", "{name} guarda {start:q} en una caja."],
            "groups": ["{name} tiene {x:box} con {n:q} cada una.", "{name} compra {x:bag} con {n:q} cada una."],
            "gain": ["{friend} le da {n:q} a {name}.", "Luego {name} recibe {n:q} más.", "{name} encuentra {n:q}."],
            "lose": ["{name} le da {n:q} a {friend}.", "Luego {name} regala {n:q}.", "{name} pierde {n:q}."],
            "share": ["{name} reparte {obj:the} a partes iguales en {n:bag}."],
            "pct_part": ["El {n:%} {obj:of} son de color rojo."],
            "pct_off": ["{name} vende el {n:%} {obj:of}."],
            "ask_total": ["¿{obj:how} tiene {name} ahora?", "¿{obj:how} tiene {name} al final?"],
            "ask_share": ["¿{obj:how} hay en cada bolsa?"],
            "ask_part": ["¿{obj:how} son de color rojo?"],
        },
        "shopping": {
            "start": ["{name} tiene {start:q}.", "{name} tiene {start:q} en la cartera."],
            "groups": ["{name} trabaja {x:hour} y gana {n:q} por hora."],
            "gain": ["{friend} le da {n:q} a {name}.", "Luego {name} gana {n:q} más.", "{name} recibe {n:q} de regalo."],
            "lose": ["{name} compra {item:a} por {n:q}.", "Luego {name} paga {n:q} por {item:a}."],
            "share": ["{name} reparte el dinero a partes iguales entre {n:friend}."],
            "pct_part": ["{name} ingresa el {n:%} del dinero en una cuenta de ahorro."],
            "pct_off": ["{name} gasta el {n:%} del dinero en {item:a}."],
            "ask_total": ["¿Cuánto dinero tiene {name} ahora?", "¿Cuánto dinero le queda a {name}?"],
            "ask_share": ["¿Cuánto dinero recibe cada amigo?"],
            "ask_part": ["¿Cuánto dinero va a la cuenta de ahorro?"],
        },
        "journey": {
            "start": ["{name} planea una excursión en bicicleta {obj:to}. La ruta mide {start:q}.",
                      "El camino {obj:until} mide {start:q}, y {name} va en bicicleta."],
            "groups": ["{name} planea una excursión en bicicleta {obj:to} en {x:stage} de {n:q} cada una."],
            "gain": ["Un desvío alarga la ruta {n:q}.",
                     "Una carretera está cortada, así que la ruta es {n:q} más larga.",
                     "{name} pasa {item:by} en el camino, lo que añade {n:q}."],
            "lose": ["{name} recorre {n:q}.", "Luego {name} recorre {n:q}."],
            "share": ["{name} quiere hacer el resto en {n:day}, la misma distancia cada día."],
            "pct_part": ["El {n:%} de la ruta restante va junto a un río."],
            "pct_off": ["Hoy {name} recorre el {n:%} de la distancia restante."],
            "ask_total": ["¿Cuántos kilómetros le quedan por recorrer a {name}?"],
            "ask_share": ["¿Cuántos kilómetros recorre {name} cada día?"],
            "ask_part": ["¿Cuántos kilómetros de la ruta van junto al río?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} tiene {x} veces {n:q}: {calc}."],
            "gain": ["{name} recibe {n} más: {calc}."],
            "lose": ["{name} da {n}: {calc}."],
            "share": ["Cada bolsa recibe la misma cantidad: {calc}."],
            "pct_part": ["El {n:%} es de color rojo: {calc}."],
            "pct_off": ["{name} vende el {n:%}: {calc}."],
            "pct_off_rest": ["{name} se queda con el resto: {calc}."],
        },
        "shopping": {
            "groups": ["{name} gana {x} veces {n:q}: {calc}."],
            "gain": ["{name} recibe {n:q} más: {calc}."],
            "lose": ["{name} paga {n:q}: {calc}."],
            "share": ["Cada amigo recibe lo mismo: {calc}."],
            "pct_part": ["Se ahorra el {n:%} del dinero: {calc}."],
            "pct_off": ["{name} gasta el {n:%} del dinero: {calc}."],
            "pct_off_rest": ["Queda el resto: {calc}."],
        },
        "journey": {
            "groups": ["La ruta tiene {x:stage} de {n:q}: {calc}."],
            "gain": ["La ruta se alarga {n:q}: {calc}."],
            "lose": ["{name} ha recorrido {n:q}: {calc}."],
            "share": ["El resto se reparte en {n:day}: {calc}."],
            "pct_part": ["El {n:%} de la ruta va junto al río: {calc}."],
            "pct_off": ["{name} recorre el {n:%} de la ruta: {calc}."],
            "pct_off_rest": ["Queda el resto: {calc}."],
        },
    },
    instruction="Resuélvelo paso a paso y termina con «Respuesta: <número>».",
    plural=plural_one_other,
)
