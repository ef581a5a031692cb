"""Score an extracted `Record` against a hand-made gold file (`GOLD_FORMAT.md`).

Each category (people, posts, organizations, places, metrics, quotes) is matched one-to-one,
greedily, strongest pairs first; unmatched predictions are false positives, unmatched gold
items false negatives.

    >>> score = score_record(record, read_gold("xiongan-innovation.gold.json"))
    >>> score.scores["people"].f1
    1.0

kg signs a change ("down 3.5%" is -3.5 percent of kind "change") where gold files write its
magnitude (3.5): a predicted change is compared by its absolute value with a gold value that is
not negative. A negative gold value, and every level or share, is compared with its sign.

Articles are grouped by source, the part of the stem before the first "-"
(`bbc-apple-mac-mini` -> `bbc`), for a pooled score per source (`group_by_source`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from kg.data import read_table
from kg.errors import InputError
from kg.model import Entity, Metric, Post, Quote, Record

CATEGORIES: tuple[str, ...] = ("people", "posts", "organizations", "places", "metrics", "quotes")
GOLD_SUFFIX = ".gold.json"

Gold = Mapping[str, Any]
P = TypeVar("P")
G = TypeVar("G")

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_POSSESSIVE = re.compile(r"'s\b")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Score:
    """True positives, false positives and false negatives of one category."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        # Nothing predicted means nothing predicted wrongly.
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        # Nothing to find means nothing missed.
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class ArticleScore:
    """The scores of one article (or of several, summed), with qualifier agreement on metrics."""

    name: str
    scores: dict[str, Score] = field(default_factory=dict)
    qualifiers_agreeing: int = 0  # matched metrics whose qualifier equals the gold one
    # Per category, the gold items not found and the items found that the gold file lacks,
    # each as a short text ("Rod Eddington, ceo of British Airways"); empty for sums.
    missed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def total(self) -> Score:
        """All categories pooled (micro)."""
        return sum(self.scores.values(), Score())

    @property
    def macro_f1(self) -> float:
        """The mean of the six categories' F1: each category weighs the same, however many
        items it has."""
        return sum(self.scores.get(c, Score()).f1 for c in CATEGORIES) / len(CATEGORIES)

    def to_json(self) -> dict[str, Any]:
        matched = self.scores.get("metrics", Score()).tp
        return {
            "name": self.name,
            "scores": {c: s.to_json() for c, s in self.scores.items()},
            "all": self.total.to_json(),
            "macro_f1": round(self.macro_f1, 4),
            "qualifier_agreement": {"agreeing": self.qualifiers_agreeing, "matched": matched},
            "missed": {c: list(items) for c, items in self.missed.items() if items},
            "extra": {c: list(items) for c, items in self.extra.items() if items},
        }


def normalize_name(text: str) -> str:
    """A name as compared: `The People’s  Bank` -> `people bank`."""
    text = _SPACE.sub(" ", text.translate(_APOSTROPHES).casefold()).strip()
    text = text.removeprefix("the ")
    return _POSSESSIVE.sub("", text)


@cache
def _unit_keys() -> dict[str, str]:
    """Every unit key and surface form of `units.tsv`, case-folded, to its unit key."""
    keys: dict[str, str] = {}
    for key, (_qudt, _kind, *surfaces) in read_table("units.tsv").items():
        keys[key.casefold()] = key
        for surface in ",".join(surfaces).split(","):
            if surface.strip():
                keys.setdefault(surface.strip().casefold(), key)
    return keys


def normalize_unit(unit: str) -> str:
    """The unit key a gold or record unit stands for (`yuan` -> `cny`); counted nouns as is."""
    folded = unit.strip().casefold()
    return _unit_keys().get(folded, folded).casefold()


@cache
def _role_synonyms() -> dict[str, str]:
    """Every title of `titles.tsv`, hyphens as spaces, to the role kg records for it."""
    return {
        title.replace("-", " "): role.replace("-", " ")
        for title, (role, *_rest) in read_table("titles.tsv").items()
    }


def normalize_role(role: str) -> str:
    """A role as compared: spelling variants of one title are one role ("vice chairman" and
    "vice-chairman"; "chief executive" and "ceo", by kg's title table)."""
    folded = normalize_name(role).replace("-", " ")
    return _role_synonyms().get(folded, folded)


def match_greedy(
    predicted: Sequence[P], gold: Sequence[G], strength: Callable[[P, G], int]
) -> list[tuple[int, int]]:
    """One-to-one (predicted index, gold index) pairs, strongest first, then in input order.

    `strength` is 0 for "no match"; a higher number is a better match.
    """
    candidates = sorted(
        (-s, i, j)
        for i, p in enumerate(predicted)
        for j, g in enumerate(gold)
        if (s := strength(p, g)) > 0
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in candidates:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    return pairs


class _Tally(NamedTuple):
    """One category of one article: the counts, and what was missed and extra, as text."""

    score: Score
    missed: tuple[str, ...]
    extra: tuple[str, ...]


def _tally(
    pairs: list[tuple[int, int]],
    predicted: Sequence[P],
    gold: Sequence[G],
    show_predicted: Callable[[P], str],
    show_gold: Callable[[G], str],
) -> _Tally:
    found = {i for i, _ in pairs}
    matched = {j for _, j in pairs}
    return _Tally(
        Score(tp=len(pairs), fp=len(predicted) - len(pairs), fn=len(gold) - len(pairs)),
        missed=tuple(show_gold(g) for j, g in enumerate(gold) if j not in matched),
        extra=tuple(show_predicted(p) for i, p in enumerate(predicted) if i not in found),
    )


def _names(name: str, aliases: Iterable[str] = ()) -> frozenset[str]:
    return frozenset(normalize_name(n) for n in (name, *aliases) if n.strip())


def _entity_names(entity: Entity | None) -> frozenset[str]:
    return frozenset() if entity is None else _names(entity.name, entity.aliases)


def _gold_names(item: Gold) -> frozenset[str]:
    return _names(item["name"], item.get("aliases", ()))


def _name_strength(predicted: Entity, gold: Gold) -> int:
    """2 when the names themselves agree, 1 when only some alias does, 0 for no match."""
    if normalize_name(predicted.name) == normalize_name(gold["name"]):
        return 2
    return 1 if _entity_names(predicted) & _gold_names(gold) else 0


def _score_entities(predicted: Sequence[Entity], gold: Sequence[Gold]) -> _Tally:
    pairs = match_greedy(predicted, gold, _name_strength)
    return _tally(pairs, predicted, gold, lambda e: e.name, lambda g: str(g["name"]))


def _person_names(record: Record, key: str) -> frozenset[str]:
    found = record.entity(key)
    return _entity_names(found[1] if found and found[0] == "person" else None)


def _gold_person_names(gold: Gold, name: str) -> frozenset[str]:
    """A gold person's name with the aliases its entry in `people` gives."""
    wanted = normalize_name(name)
    for person in gold.get("people", ()):
        if normalize_name(person["name"]) == wanted:
            return _gold_names(person)
    return _names(name)


def _score_posts(record: Record, gold: Gold) -> _Tally:
    gold_posts: list[Gold] = list(gold.get("posts", ()))

    def strength(post: Post, item: Gold) -> int:
        found = record.entity(post.organization)
        org_names = _entity_names(found[1] if found else None)
        agrees = (
            _person_names(record, post.person) & _gold_person_names(gold, item["person"])
            and normalize_role(post.role) == normalize_role(item["role"])
            and org_names & _names(item["organization"], item.get("org_aliases", ()))
        )
        return 1 if agrees else 0

    pairs = match_greedy(record.posts, gold_posts, strength)

    def show(post: Post) -> str:
        return f"{_name(record, post.person)}, {post.role} of {_name(record, post.organization)}"

    def show_gold(item: Gold) -> str:
        return f"{item['person']}, {item['role']} of {item['organization']}"

    return _tally(pairs, record.posts, gold_posts, show, show_gold)


def _metric_strength(record: Record, metric: Metric, item: Gold) -> int:
    """0 unless value and unit agree; agreeing qualifier and subject make a stronger match."""
    try:
        gold_value = float(item["value"])
        value = float(metric.value)
    except (TypeError, ValueError):
        return 0
    # Gold files write a change's magnitude ("down 3.5%" as 3.5), kg its sign (-3.5).
    if metric.kind == "change" and gold_value >= 0:
        value = abs(value)
    same_value = math.isclose(value, gold_value, rel_tol=1e-9)
    if not same_value or normalize_unit(metric.unit) != normalize_unit(str(item["unit"])):
        return 0
    about = record.entity(metric.about) if metric.about else None
    same_about = bool(
        about and item.get("about") and _entity_names(about[1]) & _names(item["about"])
    )
    return 1 + (metric.qualifier == item.get("qualifier")) + same_about


def _score_metrics(record: Record, gold: Gold) -> tuple[_Tally, int]:
    gold_metrics: list[Gold] = list(gold.get("metrics", ()))
    pairs = match_greedy(record.metrics, gold_metrics, lambda m, g: _metric_strength(record, m, g))
    agreeing = sum(
        record.metrics[i].qualifier == gold_metrics[j].get("qualifier") for i, j in pairs
    )

    def show(metric: Metric) -> str:
        about = _name(record, metric.about) if metric.about else None
        return _show_metric(metric.value, metric.unit, metric.qualifier, about, metric.what)

    def show_gold(item: Gold) -> str:
        return _show_metric(
            item.get("value"), item.get("unit"), item.get("qualifier"), item.get("about"),
            item.get("what"),
        )  # fmt: skip

    return _tally(pairs, record.metrics, gold_metrics, show, show_gold), agreeing


def _show_metric(value: Any, unit: Any, qualifier: Any, about: Any, what: Any) -> str:
    """`40 percent (exact) about British Airways: drop in profits`."""
    try:
        number = format(Decimal(str(value)).normalize(), "f")
    except InvalidOperation:
        number = str(value)
    text = f"{number} {unit} ({qualifier})"
    if about:
        text += f" about {about}"
    return f"{text}: {what}" if what else text


def _score_quotes(record: Record, gold: Gold) -> _Tally:
    gold_quotes: list[Gold] = list(gold.get("quotes", ()))

    def strength(quote: Quote, item: Gold) -> int:
        agrees = _person_names(record, quote.speaker) & _gold_person_names(
            gold, item["speaker"]
        ) and normalize_name(quote.text).startswith(normalize_name(item["starts_with"]))
        return 1 if agrees else 0

    pairs = match_greedy(record.quotes, gold_quotes, strength)

    def show(quote: Quote) -> str:
        return f"{_name(record, quote.speaker)}: {_opening(quote.text)}"

    def show_gold(item: Gold) -> str:
        return f"{item['speaker']}: {_opening(item['starts_with'])}"

    return _tally(pairs, record.quotes, gold_quotes, show, show_gold)


def _opening(text: str, words: int = 8) -> str:
    """The first words of a quote, in quotation marks: `"We pursue innovation ..."`."""
    split = text.split()
    return '"' + " ".join(split[:words]) + (' ..."' if len(split) > words else '"')


def _name(record: Record, key: str) -> str:
    found = record.entity(key)
    return found[1].name if found else key


def score_record(record: Record, gold: Gold, name: str = "") -> ArticleScore:
    """Precision/recall counts of `record` per category against one gold annotation."""
    metrics, agreeing = _score_metrics(record, gold)
    tallies = {
        "people": _score_entities(record.people, gold.get("people", ())),
        "posts": _score_posts(record, gold),
        "organizations": _score_entities(record.organizations, gold.get("organizations", ())),
        "places": _score_entities(record.places, gold.get("places", ())),
        "metrics": metrics,
        "quotes": _score_quotes(record, gold),
    }
    return ArticleScore(
        name=name,
        scores={c: t.score for c, t in tallies.items()},
        qualifiers_agreeing=agreeing,
        missed={c: t.missed for c, t in tallies.items()},
        extra={c: t.extra for c, t in tallies.items()},
    )


def sum_scores(articles: Iterable[ArticleScore], name: str = "overall") -> ArticleScore:
    """Micro average: the counts of several articles added up per category."""
    articles = list(articles)
    return ArticleScore(
        name=name,
        scores={c: sum((a.scores.get(c, Score()) for a in articles), Score()) for c in CATEGORIES},
        qualifiers_agreeing=sum(a.qualifiers_agreeing for a in articles),
    )


def source_of(stem: str) -> str:
    """The source an article comes from: its stem up to the first "-"
    (`bbc-apple-mac-mini` -> `bbc`, `pd-boeing-737-max` -> `pd`); a stem without one is its
    own source."""
    return stem.split("-", 1)[0]


def group_by_source(articles: Iterable[ArticleScore]) -> dict[str, list[ArticleScore]]:
    """The articles of each source (`source_of` their names), sources in alphabetical order,
    articles in the order given."""
    groups: dict[str, list[ArticleScore]] = {}
    for article in articles:
        groups.setdefault(source_of(article.name), []).append(article)
    return dict(sorted(groups.items()))


def scores_to_json(articles: Sequence[ArticleScore], by_source: bool = False) -> dict[str, Any]:
    """Each article, `overall` (all pooled) and, with `by_source`, each source pooled with the
    names of its articles, so that the grouping by stem can be checked."""
    data: dict[str, Any] = {
        "articles": [a.to_json() for a in articles],
        "overall": sum_scores(articles).to_json(),
    }
    if by_source:
        data["by_source"] = {
            source: {**sum_scores(group, source).to_json(), "articles": [a.name for a in group]}
            for source, group in group_by_source(articles).items()
        }
    return data


def read_gold(path: str | Path) -> dict[str, Any]:
    """Read a gold file, checking only the shape scoring relies on."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object (see GOLD_FORMAT.md)")
    for category in CATEGORIES:
        if not isinstance(data.get(category, []), list):
            raise InputError(f"{path}: $.{category} is not a list (see GOLD_FORMAT.md)")
    return data


def find_gold_pairs(
    gold_dir: str | Path, *, include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[tuple[Path, Path]]:
    """Each `<stem>.txt` in `gold_dir` that has a `<stem>.gold.json` beside it, sorted by name;
    with `include` globs only the stems matching one of them, and never a stem matching one of
    the `exclude` globs (see `is_selected`)."""
    gold_dir = Path(gold_dir)
    if not gold_dir.is_dir():
        raise InputError(f"{gold_dir}: not a directory (expected a folder of gold files)")
    pairs = [
        (article, article.with_name(article.stem + GOLD_SUFFIX))
        for article in sorted(gold_dir.glob("*.txt"))
        if article.with_name(article.stem + GOLD_SUFFIX).is_file()
    ]
    if not pairs:
        raise InputError(f"{gold_dir}: no <stem>.txt with a <stem>{GOLD_SUFFIX} beside it")
    selected = [pair for pair in pairs if is_selected(pair[0].stem, include, exclude)]
    if not selected:
        given = ", ".join(
            f"{option} " + " ".join(map(repr, globs))
            for option, globs in (("include", include), ("exclude", exclude))
            if globs
        )
        raise InputError(
            f"{gold_dir}: no article left to score after {given} (of {len(pairs)} gold pairs)"
        )
    return selected


def is_selected(stem: str, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> bool:
    """True when `stem` matches one of the `include` globs (any stem when there are none) and
    none of the `exclude` globs. Case-sensitive on every system, so that a subset of a dev set
    is the same subset wherever it is scored."""
    included = not include or any(fnmatchcase(stem, glob) for glob in include)
    return included and not any(fnmatchcase(stem, glob) for glob in exclude)


def format_scores(
    articles: Sequence[ArticleScore], verbose: bool = False, by_source: bool = False
) -> str:
    """A plain-text table per article, then the counts of all of them pooled; `verbose` adds
    what each article missed and what it found beyond the gold file; `by_source` adds a pooled
    table per source and, last, a line per source with its macro-F1."""
    blocks = [_format_one(a) + (_format_differences(a) if verbose else "") for a in articles]
    if len(articles) > 1:
        blocks.append(
            _format_one(sum_scores(articles, f"overall (micro, {len(articles)} articles)"))
        )
    if by_source:
        groups = group_by_source(articles)
        blocks += [
            _format_one(sum_scores(group, f"{source} (micro, {_count(len(group))})"))
            for source, group in groups.items()
        ]
        blocks.append(_format_source_summary(groups))
    return "\n\n".join(blocks) + "\n"


def _format_source_summary(groups: Mapping[str, Sequence[ArticleScore]]) -> str:
    """`bbc: 19 articles, macro-F1 0.812`, a line per source: the tables above, at a glance."""
    lines = ["by source (the macro-F1 of each source's articles pooled)"]
    lines += [
        f"  {source}: {_count(len(group))}, macro-F1 {sum_scores(group).macro_f1:.3f}"
        for source, group in groups.items()
    ]
    return "\n".join(lines)


def _count(articles: int) -> str:
    return f"{articles} article" + ("" if articles == 1 else "s")


def _format_differences(article: ArticleScore) -> str:
    lines = []
    for heading, groups in (
        ("missed (in the gold file, not found)", article.missed),
        ("extra (found, not in the gold file)", article.extra),
    ):
        found = [(c, groups[c]) for c in CATEGORIES if groups.get(c)]
        lines.append(f"  {heading}:" + ("" if found else " none"))
        lines += [f"    {category}: " + "; ".join(items) for category, items in found]
    return "\n" + "\n".join(lines)


def _format_one(article: ArticleScore) -> str:
    lines = [
        article.name,
        f"  {'category':<14}{'tp':>5}{'fp':>5}{'fn':>5}  precision  recall     f1",
    ]
    rows = [*article.scores.items(), ("all", article.total)]
    lines += [
        f"  {category:<14}{s.tp:>5}{s.fp:>5}{s.fn:>5}"
        f"  {s.precision:>9.3f}  {s.recall:>6.3f}  {s.f1:>5.3f}"
        for category, s in rows
    ]
    lines.append(
        f"  macro-F1 {article.macro_f1:.3f} (the mean of the {len(CATEGORIES)} categories' F1)"
    )
    matched = article.scores.get("metrics", Score()).tp
    lines.append(f"  metric qualifiers agreeing: {article.qualifiers_agreeing}/{matched}")
    return "\n".join(lines)
