"""Declared scales: what a rating column's points are, and how an import proposes one.

A proposal comes from labels the reader recognises (agreement, satisfaction, frequency,
likelihood; English, Spanish, French and German) or, failing that, from the numbers in
the column. It is only a proposal: the manager confirms or edits it on the mapping page
(or in a mapping file) before anything is stored (DESIGN rule 9). A proposal made from
numbers alone says so (``from_values``), because the highest answer given is not the
highest point offered.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from surveys.imports.table import clean


def normalised(label: str) -> str:
    """Lower case, no accents, no quotes or closing punctuation, single spaces."""
    text = unicodedata.normalize("NFKD", clean(label).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").strip(' .!"“”')
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class Scale:
    """A declared scale: its ends, a label per point ("" where unlabelled), the favourable
    cut (None: the top two points), reverse scoring, and the "don't know" answer that is
    stored as missing."""

    low: int
    high: int
    labels: tuple[str, ...] = ()
    name: str = ""
    dont_know: str = ""
    favourable_from: int | None = None
    reverse: bool = False
    from_values: bool = False  # proposed from the numbers alone: check the ends

    def __post_init__(self):
        if self.high <= self.low:
            raise ValueError(f"a scale's highest point must be above its lowest ({self.low}–{self.high})")
        if self.labels and len(self.labels) != self.high - self.low + 1:
            raise ValueError(f"{len(self.labels)} labels for a {self.low}–{self.high} scale")

    def describe(self) -> str:
        """ "Agreement, 1–5: Strongly disagree … Strongly agree"."""
        words = f"{self.name or 'Rating'}, {self.low}–{self.high}"
        first, last = (self.labels[0], self.labels[-1]) if self.labels else ("", "")
        if first or last:
            words += f": {first or self.low} … {last or self.high}"
        if self.dont_know:
            words += f" (“{self.dont_know}” counts as no answer)"
        return words

    def point_of(self, value: str) -> int | None:
        """The point a cell stands for: a number ("4", "4.0", "5 - Strongly agree",
        "10 (Extremely likely)") or one of the scale's labels; None if neither."""
        number = label_number(value)
        if number is not None:
            return number
        wanted = normalised(value)
        for offset, label in enumerate(self.labels):
            if label and normalised(label) == wanted:
                return self.low + offset
        return None

    def is_dont_know(self, value: str) -> bool:
        wanted = normalised(value)
        return bool(wanted) and (
            (self.dont_know and wanted == normalised(self.dont_know)) or wanted in DONT_KNOW
        )

    def as_json(self) -> dict:
        return {
            "low": self.low,
            "high": self.high,
            "labels": list(self.labels),
            "name": self.name,
            "dont_know": self.dont_know,
            "favourable_from": self.favourable_from,
            "reverse": self.reverse,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Scale":
        """A scale from a mapping file or a stored upload; ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a scale must be an object with low and high")
        try:
            low, high = int(data["low"]), int(data["high"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("a scale needs whole numbers for low and high") from None
        labels = data.get("labels") or []
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise ValueError("a scale's labels must be a list of texts, one per point")
        cut = data.get("favourable_from")
        if cut is not None and not (isinstance(cut, int) and low < cut <= high):
            raise ValueError(f"the favourable cut must be a point above {low} and at most {high}")
        return cls(
            low,
            high,
            tuple(labels),
            str(data.get("name") or ""),
            str(data.get("dont_know") or ""),
            cut,
            bool(data.get("reverse", False)),
        )


# "5 - Strongly agree", "10 (All my time)", "1 = Never", "4", "4.0"; never "0-6 months".
NUMBER = re.compile(r"^(-?\d+)(?:\.0+)?(?:\s+[-–:=]\s+\S.*|\s*\(.*\)|\s*=\s*\S.*)?$")


def label_number(value: str) -> int | None:
    match = NUMBER.match(clean(value))
    return int(match.group(1)) if match else None


def _labelled_number(value: str) -> tuple[int, str] | None:
    """(point, label) of a cell like "5 - Mostly other people" or "10 (All my time)"."""
    value = clean(value)
    match = re.match(r"^(-?\d+)\s*(?:[-–:=]\s+|\()(.+?)\)?$", value)
    if not match or label_number(value) is None:
        return None
    return int(match.group(1)), match.group(2).strip()


DONT_KNOW = {
    normalised(v)
    for v in [
        "don't know",
        "do not know",
        "dont know",
        "not sure",
        "not applicable",
        "prefer not to say",
        "no opinion",
        "no se",
        "no lo se",
        "no aplica",
        "no estoy segura",
        "no estoy seguro",
        "je ne sais pas",
        "ne sais pas",
        "sans objet",
        "non applicable",
        "weiss nicht",
        "weiß nicht",
        "keine angabe",
        "trifft nicht zu",
    ]
}

# (name, points from low to high; each point lists its spellings, the first shown).
FAMILIES: list[tuple[str, list[list[str]]]] = [
    (
        "Agreement",
        [
            [
                "Strongly disagree",
                "Totalmente en desacuerdo",
                "Muy en desacuerdo",
                "Pas du tout d'accord",
                "Tout à fait en désaccord",
                "Stimme überhaupt nicht zu",
                "Stimme gar nicht zu",
            ],
            [
                "Disagree",
                "Somewhat disagree",
                "En desacuerdo",
                "Pas d'accord",
                "Plutôt pas d'accord",
                "Stimme nicht zu",
                "Stimme eher nicht zu",
            ],
            [
                "Neither agree nor disagree",
                "Neither agree or disagree",
                "Neutral",
                "Ni de acuerdo ni en desacuerdo",
                "Ni d'accord ni pas d'accord",
                "Neutre",
                "Weder noch",
                "Teils/teils",
                "Teils teils",
            ],
            [
                "Agree",
                "Somewhat agree",
                "De acuerdo",
                "D'accord",
                "Plutôt d'accord",
                "Stimme zu",
                "Stimme eher zu",
            ],
            [
                "Strongly agree",
                "Totalmente de acuerdo",
                "Muy de acuerdo",
                "Tout à fait d'accord",
                "Stimme voll und ganz zu",
                "Stimme voll zu",
            ],
        ],
    ),
    (
        "Agreement (yes/no)",
        [
            ["No, not at all", "No, en absoluto", "Non, pas du tout", "Nein, überhaupt nicht"],
            [
                "No, not really",
                "No en realidad no",
                "No, en realidad no",
                "Non, pas vraiment",
                "Nein, eher nicht",
            ],
            ["Neutral", "Neutre"],
            ["Yes, somewhat", "Si algo", "Sí, algo", "Oui, plutôt", "Ja, eher"],
            [
                "Yes, definitely",
                "Sí definitivamente",
                "Sí, definitivamente",
                "Oui, tout à fait",
                "Ja, auf jeden Fall",
            ],
        ],
    ),
    (
        "Satisfaction",
        [
            ["Very dissatisfied", "Muy insatisfecho", "Très insatisfait", "Sehr unzufrieden"],
            ["Dissatisfied", "Insatisfecho", "Insatisfait", "Unzufrieden"],
            [
                "Neither satisfied nor dissatisfied",
                "Neutral",
                "Ni satisfecho ni insatisfecho",
                "Ni satisfait ni insatisfait",
                "Neutre",
                "Weder zufrieden noch unzufrieden",
            ],
            ["Satisfied", "Satisfecho", "Satisfait", "Zufrieden"],
            ["Very satisfied", "Muy satisfecho", "Très satisfait", "Sehr zufrieden"],
        ],
    ),
    (
        "Frequency",
        [
            ["Never", "Nunca", "Jamais", "Nie"],
            ["Rarely", "Raramente", "Rara vez", "Rarement", "Selten"],
            ["Sometimes", "A veces", "De vez en cuando", "Parfois", "Manchmal"],
            ["Often", "Usually", "Frecuentemente", "A menudo", "Generalmente", "Souvent", "Oft", "Häufig"],
            ["Always", "Siempre", "Toujours", "Immer"],
        ],
    ),
    (
        "Likelihood",
        [
            ["Very unlikely", "Muy improbable", "Très improbable", "Sehr unwahrscheinlich"],
            ["Unlikely", "Improbable", "Unwahrscheinlich"],
            [
                "Neither likely nor unlikely",
                "Neutral",
                "Ni probable ni improbable",
                "Weder wahrscheinlich noch unwahrscheinlich",
            ],
            ["Likely", "Probable", "Wahrscheinlich"],
            ["Very likely", "Muy probable", "Très probable", "Sehr wahrscheinlich"],
        ],
    ),
    (
        "Agreement",
        [
            [
                "Strongly disagree",
                "Totalmente en desacuerdo",
                "Pas du tout d'accord",
                "Stimme überhaupt nicht zu",
            ],
            ["Disagree", "En desacuerdo", "Pas d'accord", "Stimme nicht zu"],
            ["Somewhat disagree", "Algo en desacuerdo", "Plutôt pas d'accord", "Stimme eher nicht zu"],
            [
                "Neither agree nor disagree",
                "Neither agree or disagree",
                "Neutral",
                "Ni de acuerdo ni en desacuerdo",
                "Ni d'accord ni pas d'accord",
                "Weder noch",
            ],
            ["Somewhat agree", "Algo de acuerdo", "Plutôt d'accord", "Stimme eher zu"],
            ["Agree", "De acuerdo", "D'accord", "Stimme zu"],
            ["Strongly agree", "Totalmente de acuerdo", "Tout à fait d'accord", "Stimme voll und ganz zu"],
        ],
    ),
]
_FAMILY_POINTS = [
    (name, [{normalised(s) for s in spellings} for spellings in points], points) for name, points in FAMILIES
]


def _from_labels(values: set[str]) -> Scale | None:
    """The first family whose labels hold every value (two at least), "don't know" apart."""
    wanted = {normalised(v) for v in values} - {""}
    dont_know = sorted(v for v in values if normalised(v) in DONT_KNOW)
    wanted -= DONT_KNOW
    if len(wanted) < 2:
        return None
    for name, points, spellings in _FAMILY_POINTS:
        hit = {index for value in wanted for index, spelled in enumerate(points) if value in spelled}
        every = set().union(*points)
        # Each value one point of its own: "Disagree" and "Somewhat disagree" are two points.
        if wanted <= every and len(hit) == len(wanted):
            # Show each point as the file spells it where it appears, else the family's first spelling.
            shown = []
            for index, spelled in enumerate(points):
                seen = next((v for v in values if normalised(v) in spelled), spellings[index][0])
                shown.append(clean(seen))
            return Scale(1, len(points), tuple(shown), name, dont_know[0] if dont_know else "")
    return None


def _from_numbers(values: set[str], header: str) -> Scale | None:
    """Ends from labelled numbers ("0 - Mostly me" … "5 - Mostly other people"), else from
    the values alone (marked ``from_values``: the highest answer given may not be the top)."""
    numbers, labelled, dont_know = [], {}, ""
    for value in values:
        if normalised(value) in DONT_KNOW:
            dont_know = clean(value)
            continue
        number = label_number(value)
        if number is None:
            return None
        numbers.append(number)
        pair = _labelled_number(value)
        if pair:
            labelled[pair[0]] = pair[1]
    if len(set(numbers)) < 2:
        return None
    low, high = min(numbers), max(numbers)
    if len(labelled) >= 2 and min(labelled) == low and max(labelled) == high:
        labels = tuple(labelled.get(p, "") for p in range(low, high + 1))
        return Scale(low, high, labels, "Rating", dont_know)
    if "recommend" in header.lower() and 0 <= low and high <= 10:
        return Scale(
            0,
            10,
            ("Not at all likely",) + ("",) * 9 + ("Extremely likely",),
            "Likelihood to recommend",
            dont_know,
            from_values=True,
        )
    if low < 0 or high > 10:
        return None
    start = 0 if low == 0 else 1
    end = next(top for top in (5, 7, 10) if high <= top)
    labels = tuple(labelled.get(p, "") for p in range(start, end + 1)) if labelled else ()
    return Scale(start, end, labels, "Rating", dont_know, from_values=True)


def propose_scale(header: str, values: set[str]) -> Scale | None:
    """A proposed scale for a column's distinct values, or None when it is not a rating."""
    return _from_labels(values) or _from_numbers(values, header)


@dataclass
class Block:
    """Neighbouring columns with the same kind and the same proposed scale: one decision."""

    kind: str
    scale: Scale | None
    headers: list[str] = field(default_factory=list)


def blocks(headers: list[str], kinds: dict[str, str], scales: dict[str, Scale]) -> list[Block]:
    """Columns grouped in file order: a run of rating columns sharing a scale is one block;
    likewise a run of ignored or personal columns; every other column stands alone."""
    result: list[Block] = []
    for header in headers:
        kind, scale = kinds.get(header, "ignore"), scales.get(header)
        last = result[-1] if result else None
        if last and last.kind == kind and kind in ("rating", "ignore") and last.scale == scale:
            last.headers.append(header)
        else:
            result.append(Block(kind, scale, [header]))
    return result
