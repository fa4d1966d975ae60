"""Bulgarian (bg).

Nouns have no cases. Plural: "one" for exactly 1 (1 ябълка, 1 молив), "other" for every other
number, 21 and 101 included (21 ябълки, 101 далматинци). After a numeral a masculine noun for a
thing takes the counting form (бройна форма: 5 молива, 2 часа, 12 етапа, 2,5 километра), which is
also the form after "колко" (колко молива); feminine and neuter nouns take the plural
(5 ябълки, 5 топчета). The exception "ден" counts as "дни" (3 дни). Each noun's "other" form is
therefore the counting form where one exists; "pl" is the plain plural and "def_pl" the plural
with the definite article ("ябълките").

Money is written "12,50 евро", the customary form in Bulgarian text. Verbs are in the present
tense, which does not mark the person's gender; names are not declined ("дава на Мария").
"""

from decimal import Decimal

from euro_post.data.languages import NBSP
from euro_post.data.world.pack import LanguagePack, Noun, noun, person


def plural_bg(value: Decimal) -> str:
    return "one" if value == 1 else "other"


def counted(one: str, other: str, **extra: str) -> Noun:
    """One form for 1, one for any other number (counting form for masculine things)."""
    return Noun({"one": one, "other": other, **extra})


PACK = LanguagePack(
    code="bg",
    names=[
        person("Мария", "f"), person("Георги", "m"), person("Елена", "f"), person("Иван", "m"),
        person("Виктория", "f"), person("Димитър", "m"), person("Десислава", "f"), person("Петър", "m"),
    ],
    objects={
        "collection": [
            counted("ябълка", "ябълки", pl="ябълки", def_pl="ябълките"),
            counted("марка", "марки", pl="марки", def_pl="марките"),
            counted("топче", "топчета", pl="топчета", def_pl="топчетата"),
            counted("мида", "миди", pl="миди", def_pl="мидите"),
            counted("молив", "молива", pl="моливи", def_pl="моливите"),
            counted("бисквита", "бисквити", pl="бисквити", def_pl="бисквитите"),
            counted("орех", "ореха", pl="орехи", def_pl="орехите"),
            counted("камъче", "камъчета", pl="камъчета", def_pl="камъчетата"),
        ],
        "shopping": [
            noun(a="книга"),
            noun(a="торта"),
            noun(a="шал"),
            noun(a="настолна игра"),
            noun(a="стайно растение"),
            noun(a="билет за кино"),
        ],
        "journey": [
            noun(to="до езерото"),
            noun(to="до морето"),
            noun(to="в планината"),
            noun(to="до съседния град"),
            noun(to="до стария замък"),
        ],
    },
    nouns={
        "km": counted("км", "км"),
        "box": counted("кутия", "кутии"),
        "bag": counted("торбичка", "торбички"),
        "envelope": counted("плик", "плика"),
        "hour": counted("час", "часа"),
        "day": counted("ден", "дни"),
        "stage": counted("етап", "етапа"),
    },
    questions={
        "collection": {
            "start": [
                "{name} има {start:q}.",
                "{name} събира {obj:pl} и засега има {start:q}.",
                "В чекмеджето си {name} пази {start:q}.",
            ],
            "groups": [
                "{name} има {x:box}, във всяка по {n:q}.",
                "{name} купува {x:bag} {obj:pl}, във всяка по {n:q}.",
            ],
            "gain": [
                "{friend} дава на {name} {n:q}.",
                "След това {name} получава още {n:q}.",
                "{name} намира още {n:q}.",
            ],
            "lose": [
                "{name} дава на {friend} {n:q}.",
                "После {name} подарява {n:q} на приятели.",
                "{name} губи {n:q}.",
            ],
            "share": [
                "{name} разпределя {obj:def_pl} поравно в {n:bag}.",
                "{name} слага {obj:def_pl} в {n:bag}, така че във всяка да има еднакъв брой.",
            ],
            "pct_part": [
                "{name} дава на {friend} {n:%} от своите {obj:pl}.",
                "{n:%} от {obj:def_pl} си {name} подарява на {friend}.",
            ],
            "pct_off": [
                "{name} продава {n:%} от {obj:def_pl} си.",
                "На пазара {name} продава {n:%} от {obj:def_pl} си.",
            ],
            "ask_total": ["Колко {obj:other} има сега {name}?", "Колко {obj:other} има {name} накрая?"],
            "ask_share": ["Колко {obj:other} има във всяка торбичка?", "По колко {obj:other} има в една торбичка?"],
            "ask_part": ["Колко {obj:other} получава {friend}?"],
        },
        "shopping": {
            "start": [
                "{name} има {start:q}.",
                "{name} има в портмонето си {start:q}.",
                "В касичката си {name} има {start:q}.",
            ],
            "groups": [
                "{name} работи {x:hour} и за всеки час получава {n:q}.",
                "{name} помага на съседите {x:hour} и изкарва по {n:q} на час.",
            ],
            "gain": [
                "{friend} дава на {name} {n:q}.",
                "След това {name} изкарва още {n:q}.",
                "{name} получава {n:q} за рождения си ден.",
            ],
            "lose": [
                "{name} купува {item:a} за {n:q}.",
                "После {name} плаща {n:q} за {item:a}.",
            ],
            "share": [
                "{name} разпределя всичките си пари поравно в {n:envelope}.",
                "{name} слага парите в {n:envelope}, така че във всеки да има еднаква сума.",
            ],
            "pct_part": [
                "{name} отделя {n:%} от парите си за почивка.",
                "{n:%} от парите си {name} отделя за нов велосипед.",
            ],
            "pct_off": [
                "{name} харчи {n:%} от парите си за {item:a}.",
                "За {item:a} {name} харчи {n:%} от парите си.",
            ],
            "ask_total": ["Колко пари има сега {name}?", "Колко пари има {name} накрая?"],
            "ask_share": ["Колко пари има във всеки плик?", "По колко пари има в един плик?"],
            "ask_part": ["Колко пари отделя {name}?"],
        },
        "journey": {
            "start": [
                "{name} планира излет с велосипед {obj:to}. Маршрутът е дълъг {start:q}.",
                "Пътят от дома на {name} {obj:to} е дълъг {start:q}. {name} тръгва натам с велосипед.",
            ],
            "groups": [
                "{name} планира излет с велосипед {obj:to} на {x:stage} по {n:q}.",
                "{name} пътува с велосипед {obj:to} {x:day} и всеки ден изминава по {n:q}.",
            ],
            "gain": [
                "Едно отклонение добавя още {n:q} към маршрута.",
                "Един път е затворен и заобикалянето добавя още {n:q} към маршрута.",
                "Заради ремонт на пътя {name} прави обиколка, която добавя още {n:q}.",
            ],
            "lose": [
                "{name} изминава {n:q}.",
                "После {name} изминава {n:q}.",
                "На следващия участък {name} изминава {n:q}.",
            ],
            "share": [
                "{name} иска да измине останалата част от маршрута за {n:day}, всеки ден по равно.",
                "{name} разделя останалата част от маршрута поравно на {n:day}.",
            ],
            "pct_part": [
                "На {n:%} от останалия маршрут {name} кара покрай реката.",
                "На {n:%} от останалия маршрут пътят върви покрай реката.",
            ],
            "pct_off": [
                "Днес {name} изминава {n:%} от останалия маршрут.",
                "Днес {name} минава {n:%} от останалия маршрут.",
            ],
            "ask_total": ["Колко километра още трябва да измине {name}?", "Колко километра остават за {name}?"],
            "ask_share": ["Колко километра изминава {name} всеки ден?"],
            "ask_part": ["Колко километра от маршрута вървят покрай реката?"],
        },
    },
    steps={
        "collection": {
            "groups": ["{name} има {x} пъти по {n:q}: {calc}.", "Намираме общия брой {obj:pl}: {calc}."],
            "gain": ["{name} има още {n:q}: {calc}.", "Прибавяме {n:q}: {calc}."],
            "lose": ["Изваждаме {n:q}: {calc}.", "Отнемаме {n:q}: {calc}."],
            "share": ["Във всяка торбичка има по равно: {calc}.", "Делим на броя на торбичките: {calc}."],
            "pct_part": ["{friend} получава {n:%} от {obj:def_pl}: {calc}.", "Пресмятаме {n:%} от всички {obj:pl}: {calc}."],
            "pct_off": ["{name} продава {n:%} от {obj:def_pl}: {calc}.", "Пресмятаме колко са {n:%}: {calc}."],
            "pct_off_rest": ["Остатъкът е: {calc}.", "Остават: {calc}."],
        },
        "shopping": {
            "groups": ["{name} изкарва {x} пъти по {n:q}: {calc}.", "Умножаваме броя на часовете по заплащането на час: {calc}."],
            "gain": ["{name} получава още {n:q}: {calc}.", "Прибавяме {n:q}: {calc}."],
            "lose": ["{name} плаща {n:q}: {calc}.", "Изваждаме {n:q}: {calc}."],
            "share": ["Във всеки плик има еднаква сума: {calc}.", "Делим на броя на пликовете: {calc}."],
            "pct_part": ["{name} отделя {n:%} от парите: {calc}.", "Пресмятаме {n:%} от сумата: {calc}."],
            "pct_off": ["{name} харчи {n:%} от парите: {calc}.", "Пресмятаме {n:%} от сумата: {calc}."],
            "pct_off_rest": ["Остатъкът е: {calc}.", "Остават: {calc}."],
        },
        "journey": {
            "groups": ["Маршрутът е {x} пъти по {n:q}: {calc}.", "Пресмятаме дължината на целия маршрут: {calc}."],
            "gain": ["Отклонението добавя {n:q}: {calc}.", "Прибавяме {n:q}: {calc}."],
            "lose": ["{name} изминава {n:q}: {calc}.", "Изваждаме {n:q}: {calc}."],
            "share": ["Разделяме остатъка на {n:day}: {calc}.", "Всеки ден {name} изминава по равно: {calc}."],
            "pct_part": ["Пресмятаме {n:%} от останалия маршрут: {calc}."],
            "pct_off": ["{name} изминава {n:%} от маршрута: {calc}.", "Пресмятаме {n:%} от останалия маршрут: {calc}."],
            "pct_off_rest": ["Остатъкът е: {calc}.", "Остават още: {calc}."],
        },
    },
    instruction="Реши задачата стъпка по стъпка и завърши с реда „Отговор: <число>“.",
    plural=plural_bg,
    money_format="{n}" + NBSP + "евро",
)
