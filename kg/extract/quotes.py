"""Direct quotes and who said them.

A quote is text in quotation marks attributed to a person by one of:
* the words after it in its sentence: `"...," he said` / `"...," said Wang Zhengpu` /
  `"...," BA chairman Martin Broughton said` / `"...," said the governor`;
* the words before it: `Rod Eddington said the results were "respectable"`;
* the next sentence naming a speaker (`"..." Ni said this week.`), or the quote just before it
  when it continues the same speaker's words.
Pronouns resolve to the person mentioned last before the quote. A quote split by its
attribution (`"A," he said, "and B."`) or running over paragraphs is one quote; its evidence
spans all of it, its text joins the quoted parts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from kg.extract import lexicon
from kg.extract.names import Mention
from kg.extract.posts import FoundPost, role_of
from kg.extract.text import Sentence

_QUOTED = re.compile(r"\"([^\"\n]+)\"|“([^”\n]+)”")
# An opening mark with no closing mark after it in its paragraph (odd marks for straight quotes).
_OPEN_TO_END = re.compile(r"^(?:[^\"\n]*\"[^\"\n]*\")*[^\"\n]*\"([^\"\n]+)$|“([^”“\n]+)$", re.M)
_PRONOUN = re.compile(r"\b(he|she)\b", re.I)


@dataclass(frozen=True)
class FoundQuote:
    start: int  # the quoted text, without marks or a trailing comma; a split quote spans both
    # parts and the attribution between them
    end: int
    speaker: str  # canonical person name
    text: str  # the words quoted (both parts of a split quote, joined)


def find_quotes(
    text: str, sentences: list[Sentence], mentions: list[Mention], posts: list[FoundPost]
) -> list[FoundQuote]:
    people = [m for m in mentions if m.type == "person"]
    found: list[FoundQuote] = []
    previous: tuple[FoundQuote, int] | None = None  # last quote and the sentence it ends in
    for match in _QUOTED.finditer(text):
        start, end = match.span(1) if match.group(1) is not None else match.span(2)
        index = _sentence_index(sentences, match.start())
        last = _sentence_index(sentences, match.end() - 1)
        speaker = _speaker_after(
            text, match.end(), sentences[last], people, posts
        ) or _speaker_before(text, match.start(), sentences[index], people, posts)
        if (
            speaker is None
            and previous
            and previous[1] >= index - 1
            and _same_paragraph(sentences, previous[1], index)
        ):
            speaker = previous[0].speaker
        if speaker is None and last + 1 < len(sentences):
            speaker = _speaker_opening(text, sentences[last + 1], people)
        if speaker is None and index > 0 and sentences[index].start == match.start():
            # 'Berg said she bears no grudge. "Not even towards ..."': a quote opening its
            # sentence after one that reports the same person's words.
            speaker = _reporting_speaker(text, sentences[index - 1], people, posts)
        if speaker is None:
            continue
        trimmed = text[start:end].rstrip(" ,")
        quote = FoundQuote(start, start + len(trimmed), speaker, trimmed)
        if previous and _continues(text, previous[0], quote):
            joined = f"{previous[0].text.rstrip(',')}, {trimmed}"
            quote = FoundQuote(previous[0].start, quote.end, speaker, joined)
            found.pop()
        found.append(quote)
        previous = (quote, last)
    return _without_slogans(_running_on(text, sentences, found))


def _without_slogans(found: list[FoundQuote]) -> list[FoundQuote]:
    """Words quoted more than once in one article are a slogan or a name ("one country, two
    systems"), not somebody's quote."""
    counts = Counter(_folded(q.text) for q in found)
    return [q for q in found if counts[_folded(q.text)] == 1]


def _folded(text: str) -> str:
    return " ".join(text.casefold().strip(" ,.").split())


def _running_on(text: str, sentences: list[Sentence], found: list[FoundQuote]) -> list[FoundQuote]:
    """A quote whose paragraph ends before its closing mark goes on in the next paragraph,
    which opens with a quotation mark: one quote, by the speaker named at its end."""
    found = list(found)
    paragraphs = _paragraph_spans(sentences)
    for (start, end), (next_start, _next_end) in zip(paragraphs, paragraphs[1:], strict=False):
        opened = _OPEN_TO_END.search(text, start, end)
        if not opened or text[next_start] not in '"“':
            continue
        following = next((q for q in found if next_start < q.start <= next_start + 1), None)
        if following is not None:
            group = 1 if opened.group(1) is not None else 2
            joined = f"{opened.group(group).rstrip()} {following.text}"
            merged = FoundQuote(opened.start(group), following.end, following.speaker, joined)
            found[found.index(following)] = merged
    return found


def _paragraph_spans(sentences: list[Sentence]) -> list[tuple[int, int]]:
    spans: dict[int, tuple[int, int]] = {}
    for sentence in sentences:
        start, _end = spans.get(sentence.paragraph, (sentence.start, sentence.end))
        spans[sentence.paragraph] = (start, sentence.end)
    return [spans[p] for p in sorted(spans)]


def _continues(text: str, before: FoundQuote, quote: FoundQuote) -> bool:
    """ "A," he said, "and B." is one quote split by its attribution."""
    between = text[before.end : quote.start]
    return (
        before.speaker == quote.speaker
        and text[quote.start].islower()
        and len(between) < 80
        and not re.search(r"[.!?][\"”]?\s+[A-Z]", between)
    )


def _sentence_index(sentences: list[Sentence], pos: int) -> int:
    for i, sentence in enumerate(sentences):
        if sentence.start <= pos < sentence.end:
            return i
    return max(0, len([s for s in sentences if s.start <= pos]) - 1)


def _same_paragraph(sentences: list[Sentence], a: int, b: int) -> bool:
    return sentences[a].paragraph == sentences[b].paragraph


def _speech_verbs() -> str:
    return lexicon.alternation("speech_verbs.txt")


def _speaker_after(
    text: str, pos: int, sentence: Sentence, people: list[Mention], posts: list[FoundPost]
) -> str | None:
    tail = text[pos : sentence.end]
    if not re.search(rf"\b(?:{_speech_verbs()})\b", tail) or _QUOTED.search(tail):
        tail = tail.split('"')[0].split("“")[0]
        if not re.search(rf"\b(?:{_speech_verbs()})\b", tail):
            return None
    named = [m for m in people if pos <= m.start < pos + len(tail)]
    if named:
        return named[0].name
    lead = re.match(rf"[,.!?]?\s*(?:(?:{_speech_verbs()})\s+)?(\w+)", tail)
    if lead and _PRONOUN.fullmatch(lead.group(1)):
        return _last_person_before(people, pos)
    titled = re.search(rf"\bthe\s+({lexicon.title_pattern()})\b", tail, re.I)
    if titled:
        return _holder_of(titled.group(1).lower(), posts, people, pos)
    return None


def _speaker_before(
    text: str, pos: int, sentence: Sentence, people: list[Mention], posts: list[FoundPost]
) -> str | None:
    head = text[sentence.start : pos]
    if not re.search(rf"\b(?:{_speech_verbs()}|called|as)\b", head):
        return None
    named = [m for m in people if sentence.start <= m.start < pos]
    if named:
        return named[0].name
    if _PRONOUN.match(head.strip()):
        return _last_person_before(people, sentence.start)
    return _role_speaker(head, people, posts, pos)  # 'The minister said: "..."'


def _reporting_speaker(
    text: str, sentence: Sentence, people: list[Mention], posts: list[FoundPost]
) -> str | None:
    """The person a sentence reports the words of: "X said ...", "He noted that ...", "The
    ex-minister said ..."."""
    verb = re.search(rf"\b(?:{_speech_verbs()})\b", text[sentence.start : sentence.end])
    if verb is None or _QUOTED.search(text, sentence.start, sentence.end):
        return None
    head = text[sentence.start : sentence.start + verb.start()]
    named = [m for m in people if sentence.start <= m.start < sentence.start + verb.start()]
    if named:
        return named[-1].name
    if _PRONOUN.fullmatch(head.strip()):
        return _last_person_before(people, sentence.start)
    return _role_speaker(head, people, posts, sentence.start)


def _role_speaker(head: str, people: list[Mention], posts: list[FoundPost], pos: int) -> str | None:
    """A speaker named by a title as the subject ("The former minister referred to"): the
    post's holder, else the person named last (news names a person, then refers back)."""
    titled = _ROLE_SUBJECT.match(head)
    if titled is None:
        return None
    return _holder_of(role_of(titled.group(1)), posts, people, pos) or _last_person_before(
        people, pos
    )


_ROLE_SUBJECT = re.compile(
    rf"\s*[Tt]he\s+(?:(?:former|ex|outgoing|new)[\s-]+)?({lexicon.title_pattern()})\b", re.I
)


def _speaker_opening(text: str, sentence: Sentence, people: list[Mention]) -> str | None:
    """A next sentence that opens with "<Person> said ..." names the speaker."""
    first = next((m for m in people if m.start == sentence.start), None)
    if first and re.match(rf"\s+(?:{_speech_verbs()})\b", text[first.end : sentence.end]):
        return first.name
    return None


def _last_person_before(people: list[Mention], pos: int) -> str | None:
    before = [m for m in people if m.end <= pos]
    return before[-1].name if before else None


def _holder_of(role: str, posts: list[FoundPost], people: list[Mention], pos: int) -> str | None:
    holders = [p.person for p in posts if p.role == role or p.role.endswith(" " + role)]
    if len(set(holders)) == 1:
        return holders[0]
    return _last_person_before([m for m in people if m.name in holders], pos) if holders else None
