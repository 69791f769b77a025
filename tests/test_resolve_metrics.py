"""Pairwise and B-cubed scores (resolve.metrics), label files and the PATSTAT clusters."""

from __future__ import annotations

import gzip
import itertools
import math
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetrace.resolve.metrics import Scores, evaluate, load_labels, patstat_records


def labels(*clusters: str) -> dict[str, str]:
    """``labels("ab", "c")`` → {a: "ab", b: "ab", c: "c"} (one letter per record)."""
    return {record: cluster for cluster in clusters for record in cluster}


TRUTH = labels("ab", "c", "def")  # 6 records; true pairs: ab, de, df, ef = 4


def test_perfect():
    s = evaluate(TRUTH, dict(TRUTH))
    assert s == Scores(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 6, 3, 3, 4, 4)


def test_all_merged():
    s = evaluate(dict.fromkeys(TRUTH, "all"), TRUTH)
    # Pairwise: 15 predicted pairs, the 4 true ones among them.
    assert s.pairwise_precision == pytest.approx(4 / 15)
    assert s.pairwise_recall == 1.0
    assert s.pairwise_f1 == pytest.approx(2 * (4 / 15) / (1 + 4 / 15))
    # B-cubed precision: each record's cluster (6) holds its true cluster:
    # (a, b: 2/6 each) + (c: 1/6) + (d, e, f: 3/6 each) = (4 + 1 + 9) / 6 / 6 = 14/36.
    assert s.bcubed_precision == pytest.approx(14 / 36)
    assert s.bcubed_recall == 1.0
    assert (s.predicted_clusters, s.predicted_pairs, s.true_pairs) == (1, 15, 4)


def test_all_singletons():
    s = evaluate({r: r for r in TRUTH}, TRUTH)
    # No predicted pairs: precision 1.0 by convention, recall 0.
    assert (s.pairwise_precision, s.pairwise_recall, s.pairwise_f1) == (1.0, 0.0, 0.0)
    # B-cubed recall: (a, b: 1/2 each) + (c: 1) + (d, e, f: 1/3 each) = 3 of 6 records.
    assert s.bcubed_precision == 1.0
    assert s.bcubed_recall == pytest.approx(0.5)
    assert s.bcubed_f1 == pytest.approx(2 / 3)


def test_bagga_baldwin_example():
    # Bagga & Baldwin (1998), fig. 2: truth {1-5}, {6, 7}, {8-12}; the response merges the
    # second and third entity: {1-5}, {6-12}.
    truth = {str(i): "A" if i <= 5 else "B" if i <= 7 else "C" for i in range(1, 13)}
    predicted = {str(i): "X" if i <= 5 else "Y" for i in range(1, 13)}
    s = evaluate(predicted, truth)
    # B-cubed precision, per record |P ∩ T| / |P|:
    #   1-5: 5/5 = 1 each            → 5
    #   6-7: 2/7 each                → 4/7
    #   8-12: 5/7 each               → 25/7
    #   (5 + 29/7) / 12 = (64/7) / 12 = 64/84 = 0.7619…
    # B-cubed recall: every true cluster lies inside its predicted one → 1.
    assert s.bcubed_precision == pytest.approx(64 / 84)
    assert s.bcubed_recall == 1.0
    assert s.bcubed_f1 == pytest.approx(2 * (64 / 84) / (1 + 64 / 84))
    # Pairwise: true pairs 10 + 1 + 10 = 21, all found among 10 + 21 = 31 predicted.
    assert (s.true_pairs, s.predicted_pairs) == (21, 31)
    assert s.pairwise_precision == pytest.approx(21 / 31)
    assert s.pairwise_recall == 1.0


def test_split_and_merge_at_once():
    # truth {a, b, c}, {d, e}; predicted {a, b}, {c, d, e}.
    # B-cubed precision: a, b: 2/2; c: 1/3; d, e: 2/3 → (1 + 1 + 1/3 + 2/3 + 2/3) / 5 = 11/15.
    # B-cubed recall:    a, b: 2/3; c: 1/3; d, e: 2/2 → (2/3 + 2/3 + 1/3 + 1 + 1) / 5 = 11/15.
    # Pairwise: true pairs ab ac bc de (4), predicted ab cd ce de (4), both: ab de → 1/2, 1/2.
    s = evaluate(labels("ab", "cde"), labels("abc", "de"))
    assert s.bcubed_precision == pytest.approx(11 / 15)
    assert s.bcubed_recall == pytest.approx(11 / 15)
    assert (s.pairwise_precision, s.pairwise_recall, s.pairwise_f1) == (0.5, 0.5, 0.5)


def test_only_records_in_both_are_scored():
    predicted = {**labels("ab", "c"), "x": "c"}  # x is not labelled
    truth = {**labels("ab", "c"), "y": "c"}  # y was not predicted
    s = evaluate(predicted, truth)
    assert s.records == 3
    assert s.pairwise_f1 == s.bcubed_f1 == 1.0


def test_no_common_records_is_an_error():
    with pytest.raises(ValueError, match="no record ids in common"):
        evaluate({"1": "a"}, {"2": "a"})


def test_one_record_and_any_label_type():
    assert evaluate({"r": 1}, {"r": (2, 3)}) == Scores(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1, 1, 1, 0, 0)


def _brute_force(predicted: dict[str, int], truth: dict[str, int]):
    records = sorted(predicted.keys() & truth.keys())
    pairs = list(itertools.combinations(records, 2))
    pred = {p for p in pairs if predicted[p[0]] == predicted[p[1]]}
    true = {p for p in pairs if truth[p[0]] == truth[p[1]]}
    precision = len(pred & true) / len(pred) if pred else 1.0
    recall = len(pred & true) / len(true) if true else 1.0
    b3p = b3r = 0.0
    for r in records:
        p_cluster = {x for x in records if predicted[x] == predicted[r]}
        t_cluster = {x for x in records if truth[x] == truth[r]}
        b3p += len(p_cluster & t_cluster) / len(p_cluster)
        b3r += len(p_cluster & t_cluster) / len(t_cluster)
    return precision, recall, b3p / len(records), b3r / len(records), len(pred), len(true)


_assignment = st.dictionaries(
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=2),
    st.integers(0, 5),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(predicted=_assignment, truth=_assignment, extra=st.integers(0, 5))
def test_contingency_counts_agree_with_enumerating_pairs(predicted, truth, extra):
    truth = {**{r: (c + extra) % 4 for r, c in predicted.items()}, **truth}  # overlap
    s = evaluate(predicted, truth)
    precision, recall, b3p, b3r, n_pred, n_true = _brute_force(predicted, truth)
    assert (s.predicted_pairs, s.true_pairs) == (n_pred, n_true)
    assert math.isclose(s.pairwise_precision, precision)
    assert math.isclose(s.pairwise_recall, recall)
    assert math.isclose(s.bcubed_precision, b3p)
    assert math.isclose(s.bcubed_recall, b3r)
    common = predicted.keys() & truth.keys()
    assert s.records == len(common)
    assert s.predicted_clusters == len({predicted[r] for r in common})
    assert s.true_clusters == len({truth[r] for r in common})
    for f1, p, r in (
        (s.pairwise_f1, s.pairwise_precision, s.pairwise_recall),
        (s.bcubed_f1, s.bcubed_precision, s.bcubed_recall),
    ):
        assert math.isclose(f1, 2 * p * r / (p + r)) if p + r else f1 == 0.0


def test_a_million_records_take_seconds():
    truth = {f"r{i}": i // 7 for i in range(1_000_000)}
    predicted = {f"r{i}": i // 10 for i in range(1_000_000)}
    started = time.perf_counter()
    s = evaluate(predicted, truth)
    assert time.perf_counter() - started < 10
    assert s.records == 1_000_000
    assert s.true_pairs == 142_857 * 21  # 142,857 full clusters of 7, and one singleton


# --- label files ------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_labels(tmp_path):
    path = write(tmp_path / "l.csv", "id,name,cluster\n1,ACME,c1\n2,ACME LTD,c1\n3,Other,c2\n")
    assert load_labels(path) == {"1": "c1", "2": "c1", "3": "c2"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("record_id,leuven_id", {"1": "x"}),
        ("Record_ID,Entity_Key", {"1": "x"}),
        ("\ufeffname,True Id", {"1": "x"}),
        ("name,cluster_id", {"1": "x"}),
    ],
)
def test_load_labels_column_names(tmp_path, header, expected):
    assert load_labels(write(tmp_path / "l.csv", f"{header}\n1,x\n\n")) == expected


def test_load_labels_prefers_id_over_name_and_reads_gzip(tmp_path):
    path = tmp_path / "l.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("name,true_id,id\nACME,7,r1\n")
    assert load_labels(path) == {"r1": "7"}


def test_load_labels_names_file_and_headers_when_columns_are_missing(tmp_path):
    path = write(tmp_path / "labels.csv", "person_id,leuven_id,person_name\n1,2,ACME\n")
    with pytest.raises(ValueError) as info:
        load_labels(path)
    message = str(info.value)
    assert "labels.csv" in message
    assert "headers seen: person_id, leuven_id, person_name" in message
    with pytest.raises(ValueError, match="empty file"):
        load_labels(write(tmp_path / "empty.csv", ""))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("1,a\n,b\n", "row 3 has an empty id or cluster"),
        ("1,\n", "row 2 has an empty id or cluster"),
        ("1,a\n1,b\n", "row 3: '1' is in cluster 'b' and 'a'"),
    ],
)
def test_load_labels_bad_rows(tmp_path, body, message):
    with pytest.raises(ValueError, match=message):
        load_labels(write(tmp_path / "l.csv", "id,cluster\n" + body))


def test_load_labels_unreadable(tmp_path):
    with pytest.raises(ValueError, match="missing.csv"):
        load_labels(tmp_path / "missing.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,cluster\n1,Société\n".encode("latin-1"))
    with pytest.raises(ValueError, match="UTF-8"):
        load_labels(path)


def test_load_labels_on_the_real_chicago_file(shared_data):
    path = (
        shared_data
        / "entity_resolution"
        / "dedupe_chicago_early_childhood_sites_with_true_ids.csv.gz"
    )
    found = load_labels(path)  # header "True Id","Id",...; fields with line breaks
    assert len(found) == 3337


# --- the real PATSTAT clusters ----------------------------------------------------------------


def test_patstat_records(shared_data):
    records = patstat_records(shared_data)
    assert len(records) == 2379
    assert len({r[0] for r in records}) == 2379
    assert records[1] == ("3574", "* AKZO NOBEL N.V.", "569309")
    assert "bioMérieux BV" in {r[1] for r in records}  # UTF-8, decoded
    sizes = Counter(cluster for _, _, cluster in records)
    assert len(sizes) == 102
    assert sum(1 for n in sizes.values() if n >= 2) == 65
    truth = {record: cluster for record, _, cluster in records}
    s = evaluate(truth, truth)
    assert s.true_pairs == 293_785
    # Each name predicted as its own cluster: no false merges, few true pairs found.
    by_name = evaluate({record: name for record, name, _ in records}, truth)
    assert by_name.pairwise_precision > 0.99
    assert by_name.pairwise_recall < 0.5
