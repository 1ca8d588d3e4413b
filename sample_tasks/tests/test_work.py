"""The Python tasks' work, without AWS: plain functions of a task description."""

import pytest
from work import TaskInputError, csv_stats, transform, word_count


def test_csv_stats_gives_numeric_and_text_column_statistics() -> None:
    task = {"csv": "city,population\nLyon,10\nNantes,30\nLyon,\n"}
    assert csv_stats(task) == {
        "rows": 3,
        "columns": {
            "city": {
                "count": 3,
                "missing": 0,
                "type": "text",
                "distinct": 2,
                "top": ["Lyon", "Nantes"],
            },
            "population": {
                "count": 2,
                "missing": 1,
                "type": "number",
                "min": 10.0,
                "max": 30.0,
                "mean": 20.0,
                "sum": 40.0,
            },
        },
    }


def test_csv_stats_rejects_a_row_of_the_wrong_width() -> None:
    with pytest.raises(TaskInputError, match="CSV row 3 has 1 fields, the header has 2"):
        csv_stats({"csv": "name,score\nada,9\ngrace\n"})


def test_word_count_is_case_insensitive_and_ranks_ties_alphabetically() -> None:
    task = {"text": "The cat and the hat.\nA cat!", "top": 2}
    assert word_count(task) == {
        "words": 7,
        "distinctWords": 5,
        "lines": 2,
        "top": [{"word": "cat", "count": 2}, {"word": "the", "count": 2}],
    }


def test_transform_selects_renames_and_sorts_with_missing_values_last() -> None:
    task = {
        "records": [{"id": 1, "score": 5}, {"id": 2}, {"id": 3, "score": 9, "extra": True}],
        "select": ["id", "score"],
        "rename": {"score": "points"},
        "sortBy": "points",
        "descending": True,
    }
    assert transform(task) == {
        "count": 3,
        "records": [{"id": 3, "points": 9}, {"id": 1, "points": 5}, {"id": 2}],
    }
