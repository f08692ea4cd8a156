import pytest

from safety import InvalidPolicy, load_policy


def write(tmp_path, text):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_policy_is_complete():
    policy = load_policy()
    assert "sexual/minors" in policy.severe
    assert all(0 <= t.review <= t.block <= 1 for t in policy.thresholds.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [("[thresholds\n", "not valid TOML"),
     ('[thresholds]\n"nonsense" = { review = 0.5, block = 0.9 }\n', "unknown category"),
     ('[thresholds]\n"sexual" = { review = 0.9, block = 0.5 }\n', "review <= block"),
     ('[thresholds]\n"sexual" = { review = 0.4, block = 0.9 }\n', "no thresholds for")],
)
def test_bad_policies_are_refused(tmp_path, text, message):
    with pytest.raises(InvalidPolicy, match=message):
        load_policy(write(tmp_path, text))


def test_missing_policy_file(tmp_path):
    with pytest.raises(InvalidPolicy, match="not found"):
        load_policy(tmp_path / "nope.toml")


def test_a_policy_reviewed_at_one_level_keeps_its_severe_categories():
    policy = load_policy()
    moved = policy.with_review(0.9)
    for category, thresholds in moved.thresholds.items():
        if category in policy.severe:
            assert thresholds == policy.thresholds[category]
        else:
            assert thresholds.review == 0.9
            assert thresholds.block == max(0.9, policy.thresholds[category].block)
    assert moved.severe == policy.severe and moved.term_files == policy.term_files
    with pytest.raises(InvalidPolicy, match="0..1"):
        policy.with_review(1.5)
