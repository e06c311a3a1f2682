"""Tests for dataset patterns: compiling, ranking, substitution, ambiguity, the catch-all."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from datamill import Pipeline, node, run
from datamill.errors import DatasetError, DatasetNotFoundError
from datamill.hooks import hook_impl
from datamill.io import AbstractDataset, DataCatalog, MemoryDataset
from datamill.io._patterns import Pattern, PatternResolver, substitute


class Table(AbstractDataset[Any, Any]):
    """A dataset that remembers its path and the data saved to it (here, in memory)."""

    def __init__(self, filepath: str, *, layer: str = "", credentials: Any = None) -> None:
        self.filepath = filepath
        self.layer = layer
        self.credentials = credentials
        self.data: Any = None

    def _load(self) -> Any:
        return self.data

    def _save(self, data: Any) -> None:
        self.data = data

    def _exists(self) -> bool:
        return self.data is not None

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self.filepath}


class TakesAnything(MemoryDataset):
    """Accepts and ignores any keyword argument."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(kwargs)


TABLE = f"{__name__}.Table"
ANYTHING = f"{__name__}.TakesAnything"


def table(filepath: str, **more: Any) -> dict[str, Any]:
    return {"type": TABLE, "filepath": filepath, **more}


def path_of(catalog: DataCatalog, name: str) -> str:
    dataset = catalog[name]
    assert isinstance(dataset, Table)
    return dataset.filepath


def config_error(config: dict[str, Any], **kwargs: Any) -> DatasetError:
    with pytest.raises(DatasetError) as exc:
        DataCatalog.from_config(config, **kwargs)
    return exc.value


# -- compiling -----------------------------------------------------------------------------


def test_a_pattern_knows_its_placeholders_and_literal_length() -> None:
    pattern = Pattern.compile("{layer}_{name}.csv")

    assert pattern.placeholders == ("layer", "name")
    assert pattern.literal_chars == 5
    assert pattern.is_catch_all is False


def test_a_pattern_captures_the_text_of_each_placeholder() -> None:
    pattern = Pattern.compile("{namespace}.{name}_model")

    assert pattern.match("train.linear_model") == {"namespace": "train", "name": "linear"}
    assert pattern.match("train.linear_models") is None
    assert pattern.match("._model") is None  # a placeholder takes at least one character


def test_regex_characters_in_a_pattern_are_literal() -> None:
    pattern = Pattern.compile("a.b+{x}(c)")

    assert pattern.match("a.b+1(c)") == {"x": "1"}
    assert pattern.match("aXb+1(c)") is None


def test_earlier_placeholders_take_the_shortest_text() -> None:
    assert Pattern.compile("{a}_{b}").match("x_y_z") == {"a": "x", "b": "y_z"}


def test_a_placeholder_matches_any_character_including_newlines() -> None:
    assert Pattern.compile("{a}!").match("x\ny!") == {"a": "x\ny"}


def test_a_single_placeholder_is_the_catch_all() -> None:
    pattern = Pattern.compile("{default}")

    assert pattern.is_catch_all is True
    assert pattern.match("anything at all") == {"default": "anything at all"}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("a{b", "a brace is not part of a placeholder"),
        ("{}_x", "a brace is not part of a placeholder"),
        ("{name:>10}_x", "a brace is not part of a placeholder"),
        ("{1st}_x", "a brace is not part of a placeholder"),
        ("{a}_{a}", "a placeholder appears twice"),
        ("{a}{b}", "it has placeholders only"),
    ],
)
def test_an_invalid_pattern_is_refused_naming_the_entry(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Pattern.compile(name)

    error = config_error({name: table("x")})
    assert error.dataset_name == name
    assert str(error).startswith(f"Catalog entry {name!r}: it is not a valid pattern: {reason}")


def test_a_value_using_a_placeholder_the_pattern_lacks_is_refused() -> None:
    error = config_error({"{name}_features": table("data/{nmae}.parquet")})

    assert error.dataset_name == "{name}_features"
    assert "its values use {nmae}, which the pattern lacks (it has {name})" in str(error)


def test_a_second_catch_all_is_refused() -> None:
    error = config_error({"{default}": table("{default}"), "{other}": table("{other}")})

    assert error.dataset_name == "{other}"
    assert "a second catch-all pattern besides '{default}'; keep one" in str(error)


def test_a_malformed_pattern_entry_is_refused_like_any_entry() -> None:
    error = config_error({"{name}_x": {"filepath": "{name}"}})

    assert error.dataset_name == "{name}_x"
    assert "it has no 'type'" in str(error)


# -- substitution --------------------------------------------------------------------------


def test_substitution_reaches_every_string_in_nested_values() -> None:
    entry = {
        "type": "{lib}.CSVDataset",
        "filepath": "data/{layer}/{name}.csv",
        "load_args": {"names": ["{name}_id", "{name}_value", 3], "header": None},
        "tags": ("{layer}",),
        "{name}": "keys stay",
    }

    assert substitute(entry, {"lib": "pandas", "layer": "raw", "name": "cars"}) == {
        "type": "pandas.CSVDataset",
        "filepath": "data/raw/cars.csv",
        "load_args": {"names": ["cars_id", "cars_value", 3], "header": None},
        "tags": ["raw"],
        "{name}": "keys stay",
    }


def test_substitution_leaves_unknown_placeholders_and_other_braces() -> None:
    assert substitute("{a} {b} {} {{a}}", {"a": "1"}) == "1 {b} {} {1}"


def test_a_matched_name_gets_the_entry_with_placeholders_filled() -> None:
    catalog = DataCatalog.from_config(
        {"{name}_features": table("data/04_feature/{name}.parquet", layer="features")}
    )
    dataset = catalog["cars_features"]

    assert isinstance(dataset, Table)
    assert dataset.filepath == "data/04_feature/cars.parquet"
    assert dataset.layer == "features"


def test_the_type_may_come_from_a_placeholder() -> None:
    catalog = DataCatalog.from_config({"{kind}Dataset_x": {"type": "{kind}Dataset"}})

    assert isinstance(catalog["MemoryDataset_x"], MemoryDataset)


# -- ranking -------------------------------------------------------------------------------

RANKED = ["{a}_{b}_features", "x_{name}", "{name}_features", "{a}.{b}", "{default}"]


def test_patterns_are_listed_most_specific_first() -> None:
    catalog = DataCatalog.from_config({name: table("f") for name in reversed(RANKED)})

    # '{a}_{b}_features' has 10 literal characters; 'x_{name}' 2 and '{name}_features' 9;
    # '{a}.{b}' 1; the catch-all last.
    assert catalog.patterns() == [
        "{a}_{b}_features",
        "{name}_features",
        "x_{name}",
        "{a}.{b}",
        "{default}",
    ]


def test_within_a_rank_patterns_are_listed_alphabetically() -> None:
    names = ["{b}_y", "x_{a}", "{a}_z", "q_{b}"]
    resolver = PatternResolver(Pattern.compile(n) for n in names)

    assert [p.name for p in resolver.patterns] == ["q_{b}", "x_{a}", "{a}_z", "{b}_y"]


def test_more_literal_characters_win() -> None:
    catalog = DataCatalog.from_config(
        {
            "{name}_features": table("short/{name}"),
            "{name}_car_features": table("long/{name}"),
        }
    )

    assert path_of(catalog, "red_car_features") == "long/red"
    assert path_of(catalog, "red_bus_features") == "short/red_bus"


def test_with_as_many_literal_characters_fewer_placeholders_win() -> None:
    catalog = DataCatalog.from_config(
        {"{a}_{b}_x": table("two/{a}/{b}"), "{whole}__x": table("one/{whole}")}
    )

    assert path_of(catalog, "p__x") == "one/p"
    assert path_of(catalog, "p_q_x") == "two/p/q"


def test_explicit_entries_win_over_patterns() -> None:
    catalog = DataCatalog.from_config(
        {"{name}_features": table("pattern/{name}"), "cars_features": table("explicit")}
    )

    assert path_of(catalog, "cars_features") == "explicit"
    assert path_of(catalog, "bus_features") == "pattern/bus"
    assert catalog.resolve("cars_features") == {"cars_features": table("explicit")}


def test_a_dataset_added_in_python_wins_over_patterns() -> None:
    catalog = DataCatalog.from_config({"{name}_features": table("pattern/{name}")})
    added = MemoryDataset([1])
    catalog.add("cars_features", added)

    assert catalog["cars_features"] is added


def test_equally_specific_patterns_matching_one_name_are_ambiguous() -> None:
    catalog = DataCatalog.from_config({"{a}_x": table("{a}"), "x_{a}": table("{a}")})

    assert path_of(catalog, "y_x") == "y"
    assert path_of(catalog, "x_y") == "y"
    with pytest.raises(DatasetError) as exc:
        catalog["x_x"]
    assert exc.value.dataset_name == "x_x"
    assert str(exc.value) == (
        "Dataset 'x_x' matches the patterns 'x_{a}' and '{a}_x', which are equally specific "
        "(same number of literal characters and placeholders). Declare 'x_x' explicitly, or "
        "make one pattern more specific."
    )


def test_an_ambiguous_name_is_fine_once_declared_explicitly() -> None:
    catalog = DataCatalog.from_config(
        {"{a}_x": table("{a}"), "x_{a}": table("{a}"), "x_x": table("chosen")}
    )

    assert path_of(catalog, "x_x") == "chosen"


def test_a_more_specific_pattern_settles_what_would_be_ambiguous() -> None:
    catalog = DataCatalog.from_config(
        {"{a}_x": table("{a}"), "x_{a}": table("{a}"), "x_{a}_x": table("both/{a}")}
    )

    assert path_of(catalog, "x_x_x") == "both/x"


# -- the catch-all -------------------------------------------------------------------------


def test_the_catch_all_replaces_the_default_memory_dataset_in_ensure() -> None:
    catalog = DataCatalog.from_config({"{default}": table("data/02_intermediate/{default}.pkl")})
    dataset = catalog.ensure("model_input")

    assert isinstance(dataset, Table)
    assert dataset.filepath == "data/02_intermediate/model_input.pkl"
    assert catalog.ensure("model_input") is dataset
    assert "model_input" in catalog.list()


def test_save_to_an_undeclared_name_uses_the_catch_all() -> None:
    catalog = DataCatalog.from_config({"{default}": table("{default}.pkl")})
    catalog.save("scores", [1])

    assert path_of(catalog, "scores") == "scores.pkl"


def test_the_catch_all_does_not_make_every_name_known() -> None:
    catalog = DataCatalog.from_config({"{default}": table("{default}.pkl")})

    assert "typo" not in catalog
    assert catalog.get("typo") is None
    assert catalog.exists("typo") is False
    with pytest.raises(DatasetNotFoundError):
        catalog["typo"]


def test_more_specific_patterns_win_over_the_catch_all() -> None:
    catalog = DataCatalog.from_config(
        {"{default}": table("any/{default}"), "{name}_model": table("models/{name}")}
    )

    assert path_of(catalog, "linear_model") == "models/linear"
    assert catalog.ensure("other").describe() == {"filepath": "any/other"}


def test_patterns_never_serve_parameter_names() -> None:
    catalog = DataCatalog.from_config(
        {"{default}": table("{default}"), "params:{x}": table("{x}"), "{a}:{b}": table("{a}")}
    )

    assert "params:missing" not in catalog
    assert catalog.get("parameters") is not None  # the (empty) parameters themselves
    assert isinstance(catalog.ensure("params:missing"), MemoryDataset)
    assert path_of(catalog, "raw:cars") == "raw"


def test_the_catch_all_datasets_of_a_copy_stay_private_to_it() -> None:
    catalog = DataCatalog.from_config({"{default}": table("{default}")})
    copy = catalog.shallow_copy()
    created = copy.ensure("intermediate")

    assert "intermediate" not in catalog
    assert catalog.ensure("intermediate") is not created


class RunSpy:
    """Keeps the catalog a run worked on."""

    catalog: DataCatalog | None = None

    @hook_impl
    def after_pipeline_run(self, catalog: DataCatalog) -> None:
        self.catalog = catalog


def doubled(numbers: list[int]) -> list[int]:
    return [2 * n for n in numbers]


def test_a_run_keeps_intermediates_in_catch_all_datasets_and_outputs_in_patterns() -> None:
    catalog = DataCatalog.from_config(
        {"{default}": table("tmp/{default}"), "{name}_report": table("reports/{name}")}
    )
    catalog.add("numbers", MemoryDataset([1, 2]))
    pipeline = Pipeline([node(doubled, "numbers", "twice"), node(sum, "twice", "sum_report")])
    spy = RunSpy()

    assert run(pipeline, catalog, hooks=[spy]) == {}
    assert catalog.load("sum_report") == 6
    assert path_of(catalog, "sum_report") == "reports/sum"
    assert "twice" not in catalog
    assert spy.catalog is not None
    assert path_of(spy.catalog, "twice") == "tmp/twice"


# -- lookups, listing and resolve ----------------------------------------------------------


def test_a_name_matching_a_pattern_is_in_the_catalog_but_not_listed() -> None:
    catalog = DataCatalog.from_config({"{name}_features": table("{name}"), "raw": table("r")})

    assert "cars_features" in catalog
    assert "cars" not in catalog
    catalog["cars_features"]
    assert catalog.list() == ["raw"]
    assert len(catalog) == 1


def test_pattern_datasets_are_created_once_and_shared_by_copies() -> None:
    catalog = DataCatalog.from_config({"{name}_features": table("{name}")})
    dataset = catalog["cars_features"]

    assert catalog["cars_features"] is dataset
    assert catalog.shallow_copy()["cars_features"] is dataset
    assert catalog.shallow_copy()["bus_features"] is catalog["bus_features"]


def test_a_name_matching_no_pattern_says_so_with_suggestions() -> None:
    catalog = DataCatalog.from_config({"{name}_features": table("{name}"), "companies": table("c")})

    with pytest.raises(DatasetNotFoundError) as exc:
        catalog["compnies"]
    assert exc.value.dataset_name == "compnies"
    assert str(exc.value) == (
        "Dataset 'compnies' is not in the catalog and matches none of its dataset patterns. "
        "Did you mean 'companies'? Declare it in the catalog, or check the spelling."
    )


def test_resolve_shows_what_each_name_becomes_with_secrets_masked() -> None:
    catalog = DataCatalog.from_config(
        {
            "{name}_features": table("data/{name}.parquet", credentials="{name}_creds"),
            "{default}": {"type": "MemoryDataset", "copy_mode": "copy"},
            "raw": table("raw.csv"),
        },
        {"cars_creds": {"token": "t0k3n"}},
        parameters={"k": 1},
    )
    catalog.add("added", MemoryDataset([1]))

    resolved = catalog.resolve(["cars_features", "raw", "other", "added", "params:k"])
    assert resolved == {
        "cars_features": {"type": TABLE, "filepath": "data/cars.parquet", "credentials": "***"},
        "raw": table("raw.csv"),
        "other": {"type": "MemoryDataset", "copy_mode": "copy"},
        "added": {"type": "MemoryDataset", "data": "list", "copy_mode": "assign"},
        "params:k": {"type": "MemoryDataset", "parameter": True},
    }
    assert "t0k3n" not in repr(resolved)


def test_resolve_creates_nothing_and_accepts_a_single_name() -> None:
    catalog = DataCatalog.from_config({"{name}_features": {"type": "pandas.Nope"}})

    assert catalog.resolve("a_features") == {"a_features": {"type": "pandas.Nope"}}


def test_resolve_without_a_catch_all_shows_the_memory_default() -> None:
    assert DataCatalog().resolve(["x"]) == {"x": {"type": "MemoryDataset"}}


def test_credentials_named_through_a_placeholder_are_checked_on_creation() -> None:
    catalog = DataCatalog.from_config(
        {"{bucket}_table": table("{bucket}", credentials="{bucket}_creds")},
        {"raw_creds": {"key": "k"}},
    )

    raw = catalog["raw_table"]
    assert isinstance(raw, Table)
    assert raw.credentials == {"key": "k"}
    with pytest.raises(DatasetError) as exc:
        catalog["clean_table"]
    assert exc.value.dataset_name == "clean_table"
    assert "its credentials 'clean_creds' are not in the credentials" in str(exc.value)


def test_a_load_version_may_name_a_dataset_of_a_versioned_pattern() -> None:
    catalog = DataCatalog.from_config(
        {"{name}_model": {"type": "datamill.io.MemoryDataset", "versioned": True}},
        load_versions={"linear_model": "v1"},
    )

    assert catalog.patterns() == ["{name}_model"]
    with pytest.raises(DatasetError, match="does not support versioning"):
        catalog["linear_model"]


def test_a_load_version_for_an_ambiguous_name_is_reported() -> None:
    error = config_error(
        {"{a}_x": table("{a}", versioned=True), "x_{a}": table("{a}", versioned=True)},
        load_versions={"x_x": "v1"},
    )

    assert error.dataset_name == "x_x"
    assert "matches the patterns 'x_{a}' and '{a}_x'" in str(error)


def test_the_resolver_caches_answers_until_clear() -> None:
    resolver = PatternResolver([Pattern.compile("{name}_features")])
    first = resolver.match("cars_features")

    assert first is not None
    assert resolver.match("cars_features") is first
    resolver.clear()
    again = resolver.match("cars_features")
    assert again == first
    assert again is not first


def test_repr_counts_patterns() -> None:
    catalog = DataCatalog.from_config({"{a}_x": table("{a}"), "b": table("b")})

    assert repr(catalog) == "DataCatalog(1 datasets, 0 parameters, 1 patterns)"


# -- scale ---------------------------------------------------------------------------------

PATTERNS = {
    "{name}_features": "features",
    "{name}_model": "model",
    "raw_{name}": "raw",
    "{ns}.{name}_table": "table",
    "{name}@{version}": "versioned",
}
EXAMPLES = ("car{i}_features", "m{i}_model", "raw_t{i}", "ns{i}.t_table", "s{i}@v1")


@pytest.mark.parametrize("size", [1_000, 10_000])
def test_half_explicit_half_patterned_catalogs_resolve_every_name(size: int) -> None:
    explicit = {f"dataset_{i}": table(f"explicit/{i}") for i in range(size // 2)}
    patterns = {name: table(f"{kind}/{name}") for name, kind in PATTERNS.items()}
    matched = [EXAMPLES[i % 5].format(i=i) for i in range(size // 2)]
    catalog = DataCatalog.from_config({**explicit, **patterns})

    resolved = catalog.resolve([*explicit, *matched])
    assert len(resolved) == size
    assert all(resolved[n]["filepath"] == f"explicit/{n[8:]}" for n in explicit)
    kinds = [resolved[n]["filepath"].split("/")[0] for n in matched]
    assert kinds == [list(PATTERNS.values())[i % 5] for i in range(size // 2)]
    assert all(n in catalog for n in matched)
    assert catalog.list() == sorted(explicit)


# -- properties ----------------------------------------------------------------------------

literal_text = st.text(alphabet="ab_.", min_size=1, max_size=3)
values = st.text(alphabet="xyz", min_size=1, max_size=3)  # never literal characters
any_values = st.text(alphabet="ab_.xyz", min_size=1, max_size=4)


@st.composite
def patterns(draw: st.DrawFn) -> Pattern:
    """A valid pattern: literal runs and distinct placeholders (at least one).

    Placeholders only make the catch-all, and a single one at that.
    """
    tokens = draw(st.lists(st.one_of(literal_text, st.none()), min_size=1, max_size=4))
    if None not in tokens:
        tokens.append(None)
    name = "".join(f"{{p{i}}}" if t is None else t for i, t in enumerate(tokens))
    if len(tokens) > 1 and all(t is None for t in tokens):
        name += "_"
    if name.startswith("_"):
        name = "a" + name  # a leading underscore makes a private template, not an entry
    return Pattern.compile(name)


def naive_match(parts: Sequence[str | None], text: str) -> bool:
    """Whether ``text`` matches ``parts`` (literals, and None for placeholders), without regex."""

    @functools.cache
    def fits(i: int, start: int) -> bool:
        if i == len(parts):
            return start == len(text)
        part = parts[i]
        if part is not None:
            return text.startswith(part, start) and fits(i + 1, start + len(part))
        return any(fits(i + 1, end) for end in range(start + 1, len(text) + 1))

    return fits(0, 0)


def parts_of(pattern: Pattern) -> list[str | None]:
    filled = substitute(pattern.name, dict.fromkeys(pattern.placeholders, "\x00"))
    pieces: list[str | None] = []
    for i, piece in enumerate(filled.split("\0")):
        if i:
            pieces.append(None)
        if piece:
            pieces.append(piece)
    return pieces


@given(patterns(), st.data())
def test_filling_a_pattern_gives_a_name_it_matches_and_refills_to(
    pattern: Pattern, data: st.DataObject
) -> None:
    chosen = {w: data.draw(any_values, label=w) for w in pattern.placeholders}
    name = substitute(pattern.name, chosen)
    captured = pattern.match(name)

    assert captured is not None
    assert substitute(pattern.name, captured) == name


@given(patterns(), st.dictionaries(st.sampled_from(["p0", "p1", "p2", "p3"]), values))
def test_values_free_of_literal_characters_are_captured_exactly(
    pattern: Pattern, chosen: dict[str, str]
) -> None:
    assume("}{" not in pattern.name)  # adjacent placeholders can split a value differently
    complete = {w: chosen.get(w, "z") for w in pattern.placeholders}
    name = substitute(pattern.name, complete)

    assert pattern.match(name) == complete


@given(patterns(), st.text(alphabet="ab_.xy", min_size=1, max_size=8))
def test_the_compiled_pattern_agrees_with_a_naive_matcher(pattern: Pattern, name: str) -> None:
    assert (pattern.match(name) is not None) is naive_match(parts_of(pattern), name)


@given(
    st.lists(patterns(), min_size=1, max_size=6, unique_by=lambda p: p.name),
    st.text(alphabet="ab_.xy", min_size=1, max_size=8),
    st.randoms(),
)
def test_the_most_specific_match_wins_whatever_the_order_of_entries(
    candidates: list[Pattern], name: str, random: Any
) -> None:
    candidates = [p for p in candidates if not p.is_catch_all]
    matching = [p for p in candidates if naive_match(parts_of(p), name)]
    best = min((p.specificity for p in matching), default=None)
    top = sorted(p.name for p in matching if p.specificity == best)
    ids = {p.name: i for i, p in enumerate(candidates)}
    shuffled = candidates[:]
    random.shuffle(shuffled)
    catalog = DataCatalog.from_config(
        {p.name: {"type": ANYTHING, "id": ids[p.name]} for p in shuffled}
    )

    assert catalog.patterns() == [p.name for p in sorted(candidates, key=_rank)]
    if len(top) > 1:
        with pytest.raises(DatasetError, match="equally specific") as exc:
            catalog.resolve([name])
        assert exc.value.dataset_name == name
        assert all(repr(p) in str(exc.value) for p in top[:2])
    else:
        resolved = catalog.resolve([name])[name]
        assert resolved.get("id") == (ids[top[0]] if top else None)


def _rank(pattern: Pattern) -> tuple[tuple[int, int], str]:
    return pattern.specificity, pattern.name


@given(
    st.text(alphabet="abc", min_size=1, max_size=3),
    st.text(alphabet="abc", min_size=1, max_size=3),
    st.text(alphabet="xyz", min_size=1, max_size=3),
    st.permutations(range(5)),
)
def test_a_prefix_and_suffix_pattern_beats_its_looser_forms(
    prefix: str, suffix: str, middle: str, order: list[int]
) -> None:
    forms = [
        f"{prefix}_{{x}}_{suffix}",
        f"{prefix}_{{x}}",
        f"{{x}}_{suffix}",
        f"{prefix}_{{x}}{{y}}",
        "{x}",
    ]
    catalog = DataCatalog.from_config({forms[i]: {"type": ANYTHING, "id": i} for i in order})
    name = f"{prefix}_{middle}_{suffix}"

    assert catalog.resolve(name)[name] == {"type": ANYTHING, "id": 0}
    assert catalog.patterns()[0] == forms[0]
    assert catalog.patterns()[-1] == "{x}"


@given(st.sets(st.from_regex(r"[ab][ab_]{0,4}", fullmatch=True), min_size=1, max_size=8))
def test_explicit_entries_always_win(names: set[str]) -> None:
    config: dict[str, Any] = {n: table(f"explicit/{n}") for n in names}
    config.update({"{a}": table("{a}"), "{a}_{b}": table("{a}"), "a{a}": table("{a}")})
    catalog = DataCatalog.from_config(config)

    assert all(path_of(catalog, n) == f"explicit/{n}" for n in names)
