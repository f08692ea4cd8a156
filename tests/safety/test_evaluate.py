from safety.corpus import Example
from safety.evaluate import evaluate_examples, merge_reports


def examples(*rows):
    return [Example(f"id{i}", text, list(labels), "en", "test", "harmful" if labels else "benign", text)
            for i, (text, labels) in enumerate(rows)]


def test_merged_fold_reports_equal_one_report_over_all_the_examples():
    rows = [("an explicit porn scene", ["sexual"]), ("a calm lake at dawn", []),
            ("a man beating a stranger to death with a hammer", ["violence"]), ("a bowl of fruit on a table", []),
            ("a tutorial on cooking meth at home", ["illicit"]), ("a white circle bounces on a dark background", [])]
    whole = evaluate_examples(examples(*rows))
    merged = merge_reports([evaluate_examples(examples(*rows[:3])), evaluate_examples(examples(*rows[3:]))])
    assert merged["rates"] == whole["rates"]
    assert merged["categories"]["sexual"]["support"] == 1
    assert {c: m["support"] for c, m in merged["categories"].items()} == \
        {c: m["support"] for c, m in whole["categories"].items()}
    assert merged["benign_false_positive_rate"] == whole["benign_false_positive_rate"]
