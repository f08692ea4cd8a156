import pytest

from safety import normalise


@pytest.mark.parametrize(
    ("evasive", "plain", "step"),
    [
        ("a n4k3d w0m4n", "a naked woman", "leetspeak"),
        ("ki11 him", "kill him", "leetspeak"),
        ("$ex tape", "sex tape", "leetspeak"),
        ("p o r n video", "porn video", "separators"),
        ("s.e.x tape", "sex tape", "separators"),
        ("d-e-a-t-h", "death", "separators"),
        ("рorn with сhild", "porn with child", "homoglyph"),       # Cyrillic р and с
        ("ηακεd", "naked", "homoglyph"),                           # Greek η, α, κ, ε
        ("ｐｏｒｎ", "porn", "nfkc"),                                # fullwidth forms
        ("por\u200bn", "porn", "invisible"),                       # zero-width space
        ("gore\x07scene", "gore scene", "control"),
        ("unalive myself", "kill myself", "spelling"),
        ("seggs scene", "sex scene", "spelling"),
        ("a fight <script>window.x = 1</script> outside a bar", "a fight outside a bar", "markup"),
        ("a <b>naked</b> woman <img src=x onerror=\"alert(1)\">", "a naked woman", "markup"),
        ("a cat &amp; a dog <!-- hidden -->", "a cat & a dog", "markup"),
    ],
)
def test_evasions_are_undone(evasive, plain, step):
    result = normalise(evasive)
    assert result.text == plain
    assert step in result.steps


@pytest.mark.parametrize("text", ["a 12 year old boy playing chess", "Scunthorpe United 3-1", "a red ball bouncing",
                                  "die Katze schläft", "жили-были дед и баба", "i <3 my dog", "a < b and c > d"])
def test_ordinary_text_is_left_alone(text):
    result = normalise(text)
    assert result.text == " ".join(text.casefold().split())
    assert not result.changed


def test_a_text_of_nothing_but_markup_is_kept_for_the_classifier():
    assert "script" in normalise("<script>alert(1)</script>").text
