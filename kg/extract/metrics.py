"""Metrics: numbers with a unit, a qualifier, what they measure and what they are about.

A number is digits ("1,200", "9.8") or number words ("eight", "twenty-four", read by text2num),
with an optional currency sign before it (£ $ US$ € ¥ RMB), a scale word after it
(million, billion, bn, m) and a unit: a word of `data/units.tsv` ("percent", "%", "yuan",
"kilometers") or else the counted noun that follows ("60 related enterprises" -> enterprise).
Years, days of a month and numbers inside names are not metrics.

Values carry their sign: a minus written before the number ("−3.5 percent", "growth of –0.4%",
"fell to -2%"), or a fall that a word of `data/decrease_words.txt` states ("down 3.5%",
"a 40% drop" -> -40, a change).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from text_to_num import text2num

from kg.extract import lexicon
from kg.extract.names import Mention
from kg.extract.periods import MONTHS, FoundPeriod, find_periods
from kg.extract.text import Sentence

_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|dozen)"
)
_WORDS = rf"{_NUMBER_WORD}(?:[- ](?:{_NUMBER_WORD}|and))*(?<!and)"
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CURRENCY = r"US\$|HK\$|RMB\s?|\$|£|€|¥"
_SCALE = {
    "trillion": 10**12,
    "billion": 10**9,
    "bn": 10**9,
    "million": 10**6,
    "m": 10**6,
    "mn": 10**6,
    "thousand": 10**3,
    "k": 10**3,
}
_SCALE_RE = r"(?:\s?(?:trillion|billion|million|thousand)\b|(?:bn|mn|m|k)\b)"
# A minus sign (U+2212), en dash or hyphen opening a word and touching the digits: "−3.5",
# "of –0.4%", "(-2%)". After a number a dash makes a range ("3–5%"); after a letter it joins a
# name ("Covid-19", "Under-21"), which holds no metric.
_SIGN = rf"(?:(?<![^\s(\[“‘\"'])(?P<sign>[−–-])(?=\d|(?:{_CURRENCY})\d))"
_AMOUNT = re.compile(
    rf"(?<![\w.,$£€¥])(?<![a-z]-){_SIGN}?(?:(?P<cur>{_CURRENCY})\s?)?(?P<num>{_DIGITS}|\b{_WORDS}\b)"
    rf"(?P<scale>{_SCALE_RE})?(?![\w]*\d)",
    re.I,
)
# A range written once with its unit: "3–5%", "3 to 5 percent", "two to three years", "$3-5bn".
_TO = r"(?:\s+to\s+|\s?[-–]\s?)"
_UPPER = re.compile(
    rf"{_TO}(?:{_CURRENCY})?(?:{_DIGITS}|{_WORDS}\b)(?P<scale>{_SCALE_RE})?"
    r"(?![\w]*\d)(?!-year-old)",
    re.I,
)
_LOWER = re.compile(rf"(?P<cur>{_CURRENCY})(?:{_DIGITS})(?:{_SCALE_RE})?{_TO}$", re.I)
# "925p" is pence; a spaced "p" rarely is, and "5p.m." is a time.
_PENCE = re.compile(r"p\b(?!\.m\b)")


@dataclass(frozen=True)
class FoundMetric:
    value: Decimal
    unit: str
    qualifier: str
    kind: str
    what: str
    start: int
    end: int
    about: str | None  # "type:name" of the entity, resolved later
    period: FoundPeriod | None


def find_metrics(
    text: str, sentences: list[Sentence], mentions: list[Mention], published: str | None
) -> list[FoundMetric]:
    found: list[FoundMetric] = []
    protected = [(m.start, m.end) for m in mentions if m.type != "place"]
    previous: Mention | None = None
    for sentence in sentences:
        periods = find_periods(text, sentence, published)
        metrics = []
        for amount in _amounts(text, sentence, protected, periods):
            about = _about(text, sentence, amount.number_start, mentions, previous)
            previous = about
            metrics.append(_metric(text, sentence, amount, about, periods))
        found += _falls_negative(text, sentence, _same_kind_in_ranges(metrics))
    return sorted(found + _ages(text, mentions), key=lambda m: (m.start, m.end))


_AGE_AFTER = re.compile(r", (?:aged )?(\d{1,3}),")
_AGE_BEFORE = re.compile(r"\b(\d{1,3})-year-old (?:[a-z]+ ){0,3}$")


def _ages(text: str, mentions: list[Mention]) -> list[FoundMetric]:
    """ "Tang, 54," and "54-year-old Tang": the age of a person, in years."""
    ages = []
    for person in (m for m in mentions if m.type == "person"):
        after = _AGE_AFTER.match(text, person.end)
        before = _AGE_BEFORE.search(text[max(0, person.start - 60) : person.start])
        if after:
            start, end = after.span(1)
        elif before:
            offset = person.start - len(text[max(0, person.start - 60) : person.start])
            start, end = offset + before.start(1), offset + before.end(1)
        else:
            continue
        ages.append(
            FoundMetric(
                value=Decimal(text[start:end]),
                unit="year",
                qualifier="exact",
                kind="level",
                what="age",
                start=start,
                end=end,
                about=f"person:{person.name}",
                period=None,
            )
        )
    return ages


def _same_kind_in_ranges(metrics: list[FoundMetric]) -> list[FoundMetric]:
    """Both bounds of "a 3% to 3.5% improvement" are changes: the words after the upper say so."""
    result = list(metrics)
    for i in range(len(metrics) - 1):
        low, high = metrics[i], metrics[i + 1]
        if _is_range(low, high):
            result[i] = dataclasses.replace(low, kind=high.kind, what=high.what)
    return result


# A fall's bounds bound its size: "down more than 40%" is a change of less than -40.
_MIRRORED = {
    "more_than": "less_than",
    "less_than": "more_than",
    "at_least": "up_to",
    "up_to": "at_least",
}


def _falls_negative(text: str, sentence: Sentence, metrics: list[FoundMetric]) -> list[FoundMetric]:
    """A change that a decrease word states is negative, its qualifier mirrored; a range's
    lower bound falls with its upper ("a 3–5 per cent fall"). A signed number stays as written."""
    falls = [_falls(text, sentence, m) for m in metrics]
    for i in range(len(metrics) - 1):
        if _is_range(metrics[i], metrics[i + 1]) and metrics[i].kind == "change":
            falls[i] = falls[i] or falls[i + 1]
    return [
        dataclasses.replace(m, value=-m.value, qualifier=_MIRRORED.get(m.qualifier, m.qualifier))
        if fall and m.value > 0
        else m
        for m, fall in zip(metrics, falls, strict=True)
    ]


def _is_range(low: FoundMetric, high: FoundMetric) -> bool:
    return (low.qualifier, high.qualifier) == ("at_least", "up_to")


def _falls(text: str, sentence: Sentence, metric: FoundMetric) -> bool:
    return metric.kind == "change" and (
        _change_word(text, sentence, metric.start, metric.end) in _decrease_words()
    )


@dataclass(frozen=True)
class _Amount:
    value: Decimal
    unit: str
    start: int  # where the number phrase (with its qualifier) starts
    number_start: int
    end: int
    qualifier: str


def _amounts(
    text: str, sentence: Sentence, protected: list[tuple[int, int]], periods: list[FoundPeriod]
) -> list[_Amount]:
    def free(pos: int) -> bool:
        return not any(s <= pos < e for s, e in protected) and not any(
            p.span.start <= pos < p.span.end for p in periods
        )

    fractions = [
        _fraction(text, sentence, m)
        for m in _FRACTION.finditer(text, sentence.start, sentence.end)
        if free(m.start())
    ]
    amounts: list[_Amount] = list(fractions)
    for match in _AMOUNT.finditer(text, sentence.start, sentence.end):
        if not free(match.start()) or any(
            f.number_start <= match.start() < f.end for f in fractions
        ):
            continue  # the "six" of "one in six" is the fraction's
        amount = _amount(text, sentence, match)
        if amount is not None:
            amounts.append(amount)
    return _ranges(text, sorted(amounts, key=lambda a: a.number_start))


_ORDINALS = {
    "half": 2, "halves": 2, "third": 3, "quarter": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_SMALL = r"a|an|one|two|three|four|five|six|seven|eight|nine"
_FRACTION = re.compile(
    rf"\b(?:(?P<num>{_SMALL})[\s-]+(?P<den>{'|'.join(_ORDINALS)})s?"
    rf"|(?<!first )(?<!second )(?<!the )(?P<half>half)(?=\s+(?:of|the|its|their|a|an)\b)"
    rf"|one\s+in\s+(?P<every>\d+|{_SMALL}|ten))\b",
    re.I,
)


def _fraction(text: str, sentence: Sentence, match: re.Match[str]) -> _Amount:
    """ "two thirds of its business", "half of the venture", "one in six cars": a fraction."""
    if match["half"]:
        numerator, denominator = Decimal(1), Decimal(2)
    elif match["every"]:
        numerator = Decimal(1)
        denominator = _number_value(match["every"]) or Decimal(1)
    else:
        numerator = _number_value(match["num"]) or Decimal(1)
        denominator = Decimal(_ORDINALS[match["den"].lower()])
    qualifier, start = _qualifier_before(text, match.start(), sentence.start)
    value = round(numerator / denominator, 10).normalize()
    return _Amount(value, "fraction", start, match.start(), match.end(), qualifier)


def _amount(text: str, sentence: Sentence, match: re.Match[str]) -> _Amount | None:
    number, currency, scale = match["num"], match["cur"], match["scale"]
    if text.startswith("-year-old", match.end()):
        return None  # an age: a metric only about the person it describes (see _ages)
    value = _number_value(number)
    if value is None:
        return None
    if match["sign"]:
        value = -value
    end = match.end()
    unit, end = _unit_after(text, end, sentence.end, currency)
    if unit is None and (currency := _range_currency(text, sentence, match.start())):
        unit = lexicon.unit_forms()[currency.strip().lower()].key  # "$3-5bn": 5bn dollars
    # A bare lower bound, or one with a currency only, shares the upper's scale and unit.
    upper = _UPPER.match(text, end, sentence.end) if end == match.end() else None
    if upper and not scale:
        scale = upper["scale"]  # "$3-5bn": 3bn
    if upper and unit is None:
        unit = _unit_after(text, upper.end(), sentence.end, currency)[0]  # "3–5%": 3%
    if scale:
        value *= _SCALE[scale.strip().lower()]
    if unit is None:
        unit = _counted_before(text[sentence.start : match.start()])
    if unit is None or unit in _ORDINALS:
        return None  # "two thirds" is a fraction (_fraction), not two of something
    if _is_date_part(text, match, unit, currency, scale):
        return None
    if (
        unit_is_count(unit)
        and number.isdigit()
        and re.search(r"[A-Z][a-z]+ $", text[max(0, match.start() - 30) : match.start()])
    ):
        return None  # a model number ("Boeing 787 jets") or a name ("Stoxx 600"), not a count
    is_word = not number[0].isdigit()
    if is_word and number.lower() == "one" and unit in ("count",):
        return None
    if re.match(r"\s+(?:to|ended|ending|through)\b", text[end : end + 10]) and _definite_before(
        text, match.start()
    ):
        return None  # "the three months to 31 December 2004" is a period, not a metric
    qualifier, start = _qualifier_before(text, match.start(), sentence.start)
    if unit_is_count(unit) and qualifier == "exact" and _definite_before(text, match.start()):
        return None  # "the two sessions", "the 40 projects": a name or a thing already counted
    return _Amount(value, unit, start, match.start(), end, qualifier)


def _range_currency(text: str, sentence: Sentence, pos: int) -> str | None:
    """The currency of the lower bound of a range that ends here."""
    lower = _LOWER.search(text, max(sentence.start, pos - 25), pos)
    return lower["cur"] if lower else None


def unit_is_count(unit: str) -> bool:
    return unit not in {u.key for u in lexicon.unit_forms().values()}


def _number_value(number: str) -> Decimal | None:
    if number[0].isdigit():
        return Decimal(number.replace(",", ""))
    try:
        return Decimal(text2num(number.lower().replace("-", " "), "en"))
    except ValueError:
        return None


def _unit_after(text: str, pos: int, limit: int, currency: str | None) -> tuple[str | None, int]:
    """The unit key after a number, or the counted noun; and where the phrase ends."""
    if currency:
        return lexicon.unit_forms()[currency.strip().lower()].key, pos
    rest = text[pos:limit]
    if rest.startswith("%"):
        return "percent", pos + 1
    forms = lexicon.unit_forms()
    if _PENCE.match(rest):
        return forms["p"].key, pos + 1
    for length in (3, 2, 1):
        words = re.match(r"[\s-]?" + r"\s".join([r"([A-Za-z$£€¥]+)"] * length), rest)
        if words:
            phrase = " ".join(words.groups()).lower()
            if (
                phrase in forms
                and forms[phrase].key != "count"
                and not (length == 1 and phrase in ("m", "p"))
            ):
                return forms[phrase].key, pos + words.end()
    noun = _counted_noun(rest)
    if noun is None:
        return None, pos
    word, end = noun
    if word == "time" and _COMPARISON.match(rest, end):
        return "multiple", pos + end  # "three times the size", "four times as many"
    return word, pos + end


_COMPARISON = re.compile(
    r"\s+(?:as|more|less|the|that|what|larger|bigger|higher|greater|faster|smaller|lower)\b"
)


_PRODUCT = re.compile(r"\s[A-Z][a-z]+\s(?:[A-Z]{1,3}\d{2,4}[a-z]*|[1-9]\d{2})(?=\s[a-z])")


_NUMBER_OF = re.compile(r"\b(?:number|total) of (?:[a-z-]+ ){0,3}?([a-z-]+s)\b")


def _counted_before(clause: str) -> str | None:
    """ "The number of new enterprises reached 2,011": the noun counted comes before."""
    found = list(_NUMBER_OF.finditer(clause))
    return _singular(found[-1].group(1)) if found else None


_COMPOUND_MODIFIER = re.compile(r"-([a-z]{3,})(?=\s+[a-z])(?<!-old)")


def _counted_noun(rest: str) -> tuple[str, int] | None:
    """The noun counted after a number: the last plural among up to three lower-case words."""
    compound = _COMPOUND_MODIFIER.match(rest)
    if compound:
        return compound.group(1), compound.end(1)  # "a 10-point plan" counts points
    best: tuple[str, int] | None = None
    product = _PRODUCT.match(rest)  # "six Airbus A321 aircraft": count the aircraft
    pos = product.end() if product else 0
    for _ in range(3):
        # "4,500 Mini-workers": a name before a hyphen says whose, the noun is counted
        match = re.match(r"\s(?:[A-Z][a-z]+-)?([a-z][a-z\-]*)\b", rest[pos:])
        if not match or match.group(1) in lexicon.words("noun_phrase_stops.txt"):
            break
        pos += match.end()
        singular = _singular(match.group(1))
        if singular is not None:
            best = (singular, pos)
    return best


def _singular(word: str) -> str | None:
    irregular = lexicon.irregular_plurals()
    if word in irregular:
        return irregular[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return None


def _is_date_part(
    text: str, match: re.Match[str], unit: str, currency: str | None, scale: str | None
) -> bool:
    number = match["num"]
    if currency or scale or not number.isdigit() or not unit_is_count(unit):
        return False
    months = "|".join(MONTHS)
    before = text[max(0, match.start() - 12) : match.start()].lower()
    after = text[match.end() : match.end() + 12].lower()
    next_to_month = re.match(rf"\s(?:{months})\b", after) or re.search(
        rf"\b(?:{months})\.?\s$", before
    )
    if next_to_month and int(number) <= 31:
        return True  # "31 December", "March 5"
    return len(number) == 4 and 1800 <= int(number) <= 2100


def _qualifier_before(text: str, pos: int, floor: int) -> tuple[str, int]:
    before = text[max(floor, pos - 30) : pos].lower()
    for phrase, qualifier in sorted(lexicon.qualifiers().items(), key=lambda kv: -len(kv[0])):
        if before.endswith(phrase + " ") and re.search(rf"(?:^|\W){re.escape(phrase)} $", before):
            return qualifier, pos - len(phrase) - 1
    return "exact", pos


def _definite_before(text: str, pos: int) -> bool:
    return bool(re.search(r"\bthe\s+(?:[a-z\-]+\s+)?$", text[max(0, pos - 25) : pos], re.I))


def _ranges(text: str, amounts: list[_Amount]) -> list[_Amount]:
    """ "3% to 3.5%" bounds a range; "from £6 to £10" is two exact values."""
    result = list(amounts)
    for i in range(len(amounts) - 1):
        low, high = amounts[i], amounts[i + 1]
        between = text[low.end : high.number_start]
        if re.fullmatch(r"\s*(?:to|-|–|and)\s*", between) and low.unit == high.unit:
            opener = text[max(0, low.start - 8) : low.start]
            if re.search(r"\b(?:from)\s+$", opener):
                continue
            if low.qualifier == "exact":
                result[i] = dataclasses.replace(low, qualifier="at_least")
            if high.qualifier == "exact":
                result[i + 1] = dataclasses.replace(high, qualifier="up_to")
    return result


def _metric(
    text: str,
    sentence: Sentence,
    amount: _Amount,
    about: Mention | None,
    periods: list[FoundPeriod],
) -> FoundMetric:
    kind = _kind(text, sentence, amount)
    return FoundMetric(
        value=amount.value,
        unit=amount.unit,
        qualifier=amount.qualifier,
        kind=kind,
        what=_what(text, sentence, amount, kind),
        start=amount.start,
        end=amount.end,
        about=f"{about.type}:{about.name}" if about else None,
        period=_nearest_period(amount, periods),
    )


def _nearest_period(amount: _Amount, periods: list[FoundPeriod]) -> FoundPeriod | None:
    """The period closest to the number in its sentence. "A year earlier" dates only the
    number right before it ("£125m a year earlier"), not the change it is a baseline for."""
    candidates = [p for p in periods if not p.baseline or 0 <= p.span.start - amount.end <= 3]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda p: min(abs(p.span.start - amount.end), abs(amount.start - p.span.end)),
    )


def _kind(text: str, sentence: Sentence, amount: _Amount) -> str:
    before = text[max(sentence.start, amount.start - 25) : amount.start].lower()
    after = text[amount.end : min(sentence.end, amount.end + 25)].lower()
    if (
        amount.unit == "percent"
        and re.search(r"^\s+of\b", after)
        or re.search(r"\baccount(?:ed|s|ing)? for\s+$|\bshare of\s+$", before)
    ):
        return "share"
    if re.search(r"\b(?:to|from|at)\s+$", before):
        return "level"  # "rose to 2.9 percent", "up 4.3% to £1.97bn", "closed at 274.5 pence"
    if re.match(r"(?:below|above)\s", text[amount.start : amount.number_start].lower()):
        return "level"  # a threshold crossed: "inflation fell below 10%"
    if _change_word(text, sentence, amount.start, amount.end) is not None:
        return "change"
    return "level"


# A spaced dash, a semicolon or a bracket sets words apart from the number: "cuts - but 18 new";
# a dash after a number is a range ("3 – 5%").
_ASIDE = re.compile(r"(?<![\d%])\s[-–—]\s|[;()]")


def _change_word(text: str, sentence: Sentence, start: int, end: int) -> str | None:
    """The change word nearest the number: of the three words before it and the one after,
    nearest first and the one before on a tie ("fell" in "fell 3%", "drop" in "a 40% drop")."""
    before_text = _ASIDE.split(text[max(sentence.start, start - 25) : start])[-1]
    after_text = _ASIDE.split(text[end : min(sentence.end, end + 25)])[0]
    before = re.findall(r"[a-z]+", before_text.lower())[-3:]
    after = re.findall(r"[a-z]+", after_text.lower())[:1]
    nearest_first = before[-1:] + after + before[-2::-1]
    return next((w for w in nearest_first if w in _change_words()), None)


@cache
def _change_words() -> frozenset[str]:
    return lexicon.words("change_words.txt") | _decrease_words()


def _decrease_words() -> frozenset[str]:
    return lexicon.words("decrease_words.txt")


def _what(text: str, sentence: Sentence, amount: _Amount, kind: str) -> str:
    """A short phrase for what is measured: the clause's subject, else the words around."""
    boundaries = re.finditer(
        r"[,;:(]\s?|\s{2,}|\b(?:that|which|when|where|while|as|and|but|yet|says|said)\s",
        text[sentence.start : amount.start],
    )
    clause_start = max([sentence.start] + [sentence.start + m.end() for m in boundaries])
    subject = text[clause_start : amount.start]
    subject = re.sub(
        r"\b(?:has|have|had|was|were|is|are|will|would)\b.*$|\b(?:"
        + "|".join(sorted(_change_words()))
        + r")\b.*$",
        "",
        subject,
    ).strip(" ,")
    subject = re.sub(r"^(?:the|a|an|in total|according to \w+)\s+", "", subject, flags=re.I)
    subject = " ".join(subject.split()[-8:])
    noun_phrase = re.search(
        r"(?<![a-z])(?!(?:trillion|billion|million|thousand)\b)[a-z][a-z\- ]*$",
        text[amount.number_start : amount.end],
    )
    if unit_is_count(amount.unit) and noun_phrase:
        return noun_phrase.group().strip()
    prefix = {"change": "change in ", "share": "share of "}.get(kind, "")
    return (prefix + subject).strip() or text[amount.start : amount.end]


def _about(
    text: str, sentence: Sentence, pos: int, mentions: list[Mention], previous: Mention | None
) -> Mention | None:
    """The entity a metric describes: the nearest organization or place before it in its
    sentence, else the one "the province/company/..." points back to, else the previous
    metric's, else the last one named before the sentence."""
    things = [m for m in mentions if m.type != "person"]
    inside = [m for m in things if sentence.start <= m.start and m.end <= pos]
    if inside:
        return inside[-1]
    anaphor = _ANAPHOR.search(text, sentence.start, sentence.end)
    if anaphor:
        noun = anaphor.group(1).lower()
        earlier = [m for m in things if m.end <= sentence.start]
        named_so = [m for m in earlier if noun in m.text.lower() or noun in m.name.lower()]
        of_type = [m for m in earlier if m.type == _ANAPHORS[noun]]
        if named_so or of_type:
            return (named_so or of_type)[-1]
    if previous is not None:
        return previous
    earlier = [m for m in things if m.end <= sentence.start]
    return earlier[-1] if earlier else None


_ANAPHORS = {
    "province": "place",
    "city": "place",
    "country": "place",
    "region": "place",
    "area": "place",
    "company": "organization",
    "group": "organization",
    "firm": "organization",
    "bank": "organization",
    "airline": "organization",
    "carrier": "organization",
}
_ANAPHOR = re.compile(rf"\b(?:the|its)\s+({'|'.join(_ANAPHORS)})\b", re.I)
