"""The linkage model: a Fellegi–Sunter model run by splink, with m/u set by hand.

Each comparison has levels; each level carries m (how often true matches show it)
and u (how often non-matches do). A pair's match weight is the prior's log2 odds
plus log2(m/u) of the level it falls in for every comparison, so every merge can
be explained as a sum of named contributions (``resolve explain``).

The m/u values are fixed, not trained, on purpose: customs data has no labels,
EM on a few thousand suppliers is unstable, and analysts must be able to read the
model. They were set from how customs declarations are written (the same firm
keeps its address and tax id; cross-script spellings defeat string similarity; a
foreign supplier often has a name and nothing else) and checked against the
hand-labelled spellings of the real vendor files, PATSTAT and Chicago (``make eval``,
``eval/labels/README.md``). Name evidence depends on how rare the name is
(``parties.name_rarity``): an identical rare name merges on its own, a generic one
never does. Blocking makes candidate pairs among records that share the name key,
the distinctive words, the name without spaces, the cross-script skeleton, the other
spelling, an id, a normalised address or the leading name words (``parties.name_blocks``:
blocks capped in size); none of them needs a country, which most foreign parties lack.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

#: Prior probability that two random party records are the same firm.
PRIOR = 1e-4
#: Pairs at or above this match probability are merged.
THRESHOLD = 0.9
#: Scripts whose names cannot be compared with Latin/Cyrillic ones by spelling.
NON_ALPHABETIC = ("'Hangul'", "'Han'", "'Kana'", "'Arabic'", "'Other'")

#: The columns of splink's predictions ``_evidence`` reads (besides gamma_* and mw_*).
_EVIDENCE_INPUT = ("unique_id_l", "unique_id_r", "match_probability", "match_weight")
#: DuckDB's memory for scoring pairs (it spills to a temporary directory beyond it).
SCORING_MEMORY = "1500MB"

COMPARISONS = (
    "name", "inn", "address", "country", "trade_country", "legal_form", "counterpart",
)  # fmt: skip


def _level(sql: str, label: str, m: float, u: float):
    return cll.CustomLevel(sql, label).configure(m_probability=m, u_probability=u)


#: The SQL function both engines compare spellings with: a macro for DuckDB's own
#: ``jaro_winkler_similarity`` (see :func:`score`), and on Spark the same algorithm as a UDF
#: (:func:`register_jaro_winkler`). Spark's built-in ``jaro_winkler_similarity`` and splink's
#: jar score some pairs differently ("TIANJIN QIHENG TRADING" / "TIANDZHIN KIKHENG TRADING":
#: 0.922 in DuckDB, 0.917 in Spark), so the engines merged different parties.
JARO_WINKLER = "tradetrace_jaro_winkler"


def _similar(column: str, threshold: float, label: str, m: float, u: float):
    """Jaro-Winkler at or above ``threshold``, the same function on every engine."""
    sql = f"{JARO_WINKLER}({column}_l, {column}_r) >= {threshold}"
    return _level(sql, label, m, u)


def register_jaro_winkler(spark) -> None:
    """Define :data:`JARO_WINKLER` on a Spark session: rapidfuzz's implementation, which
    DuckDB's is taken from, as a vectorised UDF run by the Python workers."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    def similarity(a, b):
        from rapidfuzz.distance import JaroWinkler

        return pd.Series(
            [None if x is None or y is None else JaroWinkler.similarity(x, y)
             for x, y in zip(a, b, strict=True)],
            dtype="float64",
        )  # fmt: skip

    # Spark reads the pandas types from the annotations, which this module keeps as text
    similarity.__annotations__ = {"a": pd.Series, "b": pd.Series, "return": pd.Series}
    # pyspark's stubs only know the pre-3.0 form with an explicit functionType, not the
    # type-hinted one (function, return type) that Spark documents and this uses.
    udf = pandas_udf(similarity, "double")  # type: ignore[call-overload]
    spark.udf.register(JARO_WINKLER, udf)


def _either(column: str, alt: str, op: str = "=") -> str:
    """``column`` compared across both spellings of each record (the name as declared and
    its other spelling, ``*_name_alt``), any of the four pairings."""
    pairs = [(column, column), (column, alt), (alt, column), (alt, alt)]
    return "(" + " OR ".join(f"{a}_l {op} {b}_r" for a, b in pairs) + ")"


def _name_comparison():
    not_comparable = (
        f"(name_script_l IN ({', '.join(NON_ALPHABETIC)})) <> "
        f"(name_script_r IN ({', '.join(NON_ALPHABETIC)}))"
    )
    same_words = f"({_either('name_key', 'alt_key')} OR name_compact_l = name_compact_r)"
    same_sound = _either("name_skeleton", "alt_skeleton")
    # the same distinctive words, one name adding descriptive ones ("REALONDA" and
    # "REALONDA CERAMICA"; not "BIEN TRADING" and "BIEN CONSTRUCTION")
    same_base = (
        "(name_base_l = name_base_r AND (name_descriptive_l = '' OR name_descriptive_r = ''))"
    )
    rare = "name_rarity_l = 'rare' AND name_rarity_r = 'rare'"
    # one name is the other plus words ("ATLAS CONCORDE" in "CERAMICHE ATLAS CONCORDE"),
    # compared at word boundaries
    padded_l, padded_r = "(' ' || name_core_l || ' ')", "(' ' || name_core_r || ' ')"
    contained = f"(strpos({padded_l}, {padded_r}) > 0 OR strpos({padded_r}, {padded_l}) > 0)"
    # a slip or two: Jaro-Winkler forgives a changed ending, the edit distance an inserted or
    # swapped letter (one per eight letters of the shorter name: "LUMIBINI" / "LUMBINI",
    # "CAESAR" / "CEASAR"), which Jaro-Winkler scores under 0.91
    shorter = "least(length(name_core_l), length(name_core_r))"
    slips = (
        f"({JARO_WINKLER}(name_core_l, name_core_r) >= 0.95 OR "
        f"levenshtein(name_core_l, name_core_r) <= greatest(1, floor({shorter} / 8)))"
    )
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_core"),
            _level(f"{same_words} AND {rare}", "same rare words", 0.35, 1e-6),
            _level(f"{same_words} AND name_rarity_l <> 'common' AND name_rarity_r <> 'common'",
                   "same short words", 0.10, 2e-6),
            _level(same_words, "same words", 0.10, 1e-5),
            _level(f"{slips} AND {rare}", "near-identical rare spelling", 0.06, 1e-6),
            _level(f"{same_sound} AND {rare} AND name_script_l <> name_script_r",
                   "same rare sound (cross-script)", 0.08, 1e-6),
            _level(f"{same_base} AND {rare}", "same rare distinctive words", 0.06, 1e-6),
            _level(f"{contained} AND {rare}", "rare name within the other", 0.03, 3e-6),
            _level(f"{same_sound} AND name_script_l <> name_script_r",
                   "same sound (cross-script)", 0.05, 1e-4),
            _similar("name_core", 0.92, "near-identical spelling", 0.07, 5e-4),
            _similar("name_core", 0.85, "similar spelling", 0.05, 5e-3),
            _level(not_comparable, "different scripts (not comparable)", 0.04, 0.05),
            cll.ElseLevel().configure(m_probability=0.04, u_probability=0.99),
        ],
    )  # fmt: skip


def _identifier_comparison():
    """Tax and trader ids of any validity: an equal valid INN is all but proof, an equal id
    as declared (a foreign scheme, or one that fails its checksum) strong evidence, two
    different valid INNs two taxpayers."""
    return cl.CustomComparison(
        output_column_name="inn",
        comparison_levels=[
            cll.NullLevel("id_key"),
            _level("inn_l = inn_r", "same INN", 0.90, 1e-6),
            _level("id_key_l = id_key_r", "same id as declared", 0.06, 1e-5),
            _level("inn_l <> inn_r", "different INNs", 1e-5, 0.90),
            cll.ElseLevel().configure(m_probability=0.04, u_probability=0.1),
        ],
    )


def _address_comparison():
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.NullLevel("address_key"),
            _level("address_key_l = address_key_r", "same address", 0.50, 1e-5),
            _similar("address_key", 0.9, "similar address", 0.20, 1e-3),
            cll.ElseLevel().configure(m_probability=0.10, u_probability=0.99),
        ],
    )


def _country_comparison():
    return cl.CustomComparison(
        output_column_name="country",
        comparison_levels=[
            cll.NullLevel("country"),
            _level("country_l = country_r", "same country", 0.97, 0.10),
            cll.ElseLevel().configure(m_probability=0.03, u_probability=0.90),
        ],
    )


def _trade_country_comparison():
    """Where a foreign party's goods came from or went to: weak evidence, as a firm ships
    from several countries and many firms ship from one; and none at all when both
    records have their own country (it would count the same fact twice)."""
    known = "(country_l IS NOT NULL AND country_r IS NOT NULL)"
    return cl.CustomComparison(
        output_column_name="trade_country",
        comparison_levels=[
            cll.NullLevel("trade_country"),
            _level(known, "not used (both have a country)", 0.5, 0.5),
            _level("trade_country_l = trade_country_r", "same trade country", 0.75, 0.30),
            cll.ElseLevel().configure(m_probability=0.25, u_probability=0.70),
        ],
    )


def _legal_form_comparison():
    """Legal forms by family (``cleaning.legal_family``): ООО and LLC agree; a limited
    company and a joint-stock company of one name are usually two firms."""
    return cl.CustomComparison(
        output_column_name="legal_form",
        comparison_levels=[
            cll.NullLevel("legal_family"),
            _level("legal_form_l = legal_form_r", "same legal form", 0.50, 0.20),
            _level("legal_family_l = legal_family_r", "same kind of legal form", 0.35, 0.30),
            cll.ElseLevel().configure(m_probability=0.15, u_probability=0.50),
        ],
    )


def _counterpart_comparison():
    """Two spellings that trade with the same counterpart are more likely one firm."""
    return cl.CustomComparison(
        output_column_name="counterpart",
        comparison_levels=[
            cll.NullLevel("counterpart_key"),
            _level("counterpart_key_l = counterpart_key_r", "same counterpart", 0.30, 0.02)
            # weighed by how many records trade with that counterpart: sharing the only
            # importer of a file says nothing, sharing a small one says much
            .configure(
                tf_adjustment_column="counterpart_key",
                tf_adjustment_weight=0.5,
                tf_minimum_u_value=0.005,
            ),
            cll.ElseLevel().configure(m_probability=0.70, u_probability=0.98),
        ],
    )


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            _name_comparison(),
            _identifier_comparison(),
            _address_comparison(),
            _country_comparison(),
            _trade_country_comparison(),
            _legal_form_comparison(),
            _counterpart_comparison(),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_key"),
            block_on("name_skeleton"),
            block_on("name_compact"),
            block_on("name_base"),
            CustomRule("l.name_key = r.alt_key"),  # what splink makes of a plain SQL string
            CustomRule("l.alt_key = r.name_key"),
            block_on("alt_key"),
            block_on("id_key"),
            block_on("address_key"),
            block_on("name_block"),
        ],
        probability_two_random_records_match=PRIOR,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
    )


@dataclass(frozen=True)
class ScoredPairs:
    """Candidate pairs at or above the threshold, with every comparison's evidence."""

    table: pa.Table  # party_a, party_b, match_probability, match_weight, <c>_level, <c>_weight


def score(features: pa.Table, threshold: float = THRESHOLD, spark=None) -> ScoredPairs:
    """Score candidate pairs of party records with splink.

    On an in-memory DuckDB by default; with a Spark session, on splink's Spark backend
    (the same settings, compiled to Spark SQL, the pairs computed on the cluster).
    """
    if features.num_rows < 2:
        return ScoredPairs(_empty())
    if spark is not None:
        from splink import SparkAPI

        register_jaro_winkler(spark)
        linker = Linker(SparkAPI(spark_session=spark).register(features), settings(), log_level=40)
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        return ScoredPairs(_evidence(predictions.as_spark_dataframe().toArrow()))
    con = duckdb.connect()
    # splink's candidate pairs with every comparison column are the largest thing resolve
    # holds; past this DuckDB spills to disk (10M declarations: 3.7 GB peak without it)
    con.execute(f"SET memory_limit = '{SCORING_MEMORY}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"CREATE TEMP MACRO {JARO_WINKLER}(a, b) AS jaro_winkler_similarity(a, b)")
    try:
        db_api = DuckDBAPI(connection=con)
        linker = Linker(db_api.register(features), settings(), log_level=40)
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        relation = predictions.as_duckdbpyrelation()
        # only what ``_evidence`` reads: the compared values would double the memory
        kept = [
            c for c in relation.columns if c in _EVIDENCE_INPUT or c.startswith(("gamma_", "mw_"))
        ]
        table = relation.select(*kept).arrow()
        if hasattr(table, "read_all"):
            table = table.read_all()
    finally:
        con.close()
    return ScoredPairs(_evidence(table))


#: The scored pairs' columns, as :func:`_evidence` writes them.
PAIRS_SCHEMA = pa.schema(
    [
        ("party_a", pa.string()),
        ("party_b", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        *[
            field
            for c in COMPARISONS
            for field in ((f"{c}_level", pa.string()), (f"{c}_weight", pa.float64()))
        ],
    ]
)


def _empty() -> pa.Table:
    return PAIRS_SCHEMA.empty_table()


#: Decimals kept of weights and probabilities: the engines compute logarithms of term
#: frequencies in different orders and differ in the last bits (2.7313533753350794 on DuckDB,
#: 2.73135337533508 on Spark); rounded, both stores hold the same evidence.
DECIMALS = 9


def _evidence(predictions: pa.Table) -> pa.Table:
    """splink's output reduced to what an analyst reads: levels by label, weights in bits."""
    labels = _level_labels()
    columns = {
        "party_a": predictions["unique_id_l"],
        "party_b": predictions["unique_id_r"],
        "match_probability": pc.round(predictions["match_probability"], DECIMALS),
        "match_weight": pc.round(predictions["match_weight"], DECIMALS),
    }
    for c in COMPARISONS:
        gammas = predictions[f"gamma_{c}"].to_pylist()
        columns[f"{c}_level"] = pa.array([labels[c].get(g) for g in gammas], pa.string())
        weight = predictions[f"mw_{c}"].cast(pa.float64())
        if f"mw_tf_adj_{c}" in predictions.column_names:  # a term-frequency adjustment
            weight = pc.add(weight, pc.fill_null(predictions[f"mw_tf_adj_{c}"], 0.0))
        columns[f"{c}_weight"] = pc.round(weight, DECIMALS)
    return pa.table(columns)


def _label(level: dict) -> str:
    label = level.get("label_for_charts") or level["sql_condition"]
    return "different" if level["sql_condition"] == "ELSE" else label


def _level_labels() -> dict[str, dict[int, str]]:
    """comparison → gamma value → the level's label, as splink numbers them."""
    spec = settings().get_settings("duckdb").as_dict()
    out: dict[str, dict[int, str]] = {}
    for comparison in spec["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"]]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        out[comparison["output_column_name"]] = {
            len(non_null) - 1 - i: _label(lv) for i, lv in enumerate(non_null)
        } | {-1: "missing"}
    return out
