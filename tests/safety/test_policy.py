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
