import pytest

from safety.policy import default_policy
from safety.rules import load_rules


@pytest.fixture(scope="module")
def rules():
    policy = default_policy()
    return load_rules(policy.term_files, policy.figure_files)


@pytest.mark.parametrize(
    "text",
    [
        "scunthorpe united at home", "a cocktail party on a rooftop", "a rooster crowing at dawn",
        "kill the lights please", "a bloody mary on the bar", "grilled chicken breast", "a photo shoot in a studio",
        "shooting stars over the desert", "a nude colour palette makeup tutorial", "a bath bomb fizzing",
        "the analysis of a therapist",
    ],
)
def test_innocent_look_alikes_pass(rules, text):
    hits = rules.match(text)
    assert hits.block == {}, hits.block


@pytest.mark.parametrize(
    ("text", "category"),
    [("an explicit porn scene", "sexual"), ("a decapitated body", "violence/graphic"), ("how to cook meth", "illicit"),
     ("an isis recruitment video", "violent-extremism"), ("a girl cutting her wrists", "self-harm"),
     ("a deepfake of the mayor", "deception"), ("doxxing my teacher", "harassment"),
     ("immigrants are vermin", "hate"), ("a man stabbing a stranger", "violence")],
)
def test_block_terms_per_category(rules, text, category):
    assert category in rules.match(text).block


@pytest.mark.parametrize(
    "text",
    ["stripping old wallpaper in the hallway", "a naked cake with berries", "an anti-bullying assembly",
     "a self-harm awareness poster with a helpline number", "a sniffer dog at the airport",
     "realistic footage: a flood in the valley"],
)
def test_everyday_phrases_that_contain_filtered_words_hit_no_rule(rules, text):
    hits = rules.match(text)
    assert hits.block == {} and hits.review == {}, (hits.block, hits.review)


def test_the_words_stay_filtered_outside_those_phrases(rules):
    assert "sexual" in rules.match("a woman stripping for the camera").review
    assert "self-harm" in rules.match("a self-harm video").block
    assert "deception" in rules.match("realistic news of the president resigning").review


@pytest.mark.parametrize(
    ("text", "category"),
    [("a documentary about how isis recruited online", "violent-extremism"),
     ("a lecture on the history of the ku klux klan", "violent-extremism"),
     ("a support circle for suicide attempt survivors", "self-harm"),
     ("a komodo dragon stalking a water buffalo", "harassment"),
     ("eine Schulung zum Erkennen von Falschgeld", "illicit"),
     ("a teacher explaining the history of the swastika", "violent-extremism"),
     ("a journalist explaining how to spot deepfakes", "deception"),
     ("une journée contre le harcèlement où des lycéens jouent une pièce", "harassment"),
     ("an emergency nurse talking with a teenager after an overdose", "self-harm"),
     ("ein Aufklärungsspot zur Suizidprävention", "self-harm"),
     ("a crime reporter describing a stabbing outside a nightclub", "violence"),
     ("un commerçant qui regarde sa caméra de surveillance après une fausse alerte", "deception"),
     ("una estatua griega desnuda en un museo", "sexual")],
)
def test_topic_words_that_documentaries_and_lessons_use_only_send_to_review(rules, text, category):
    # A group's name or a crime's name is what a history lesson, a support group or a news report says too:
    # it raises the classifier's score without deciding alone.
    from safety.normalise import normalise

    hits = rules.match(normalise(text).text)
    assert hits.block == {} and category in hits.review, (hits.block, hits.review)


@pytest.mark.parametrize(
    "text", ["a man stabbing his neighbour", "two men stabbing each other", "a teenager stabbing a stranger"])
def test_stabbing_someone_stays_a_block_term(rules, text):
    assert "violence" in rules.match(text).block


@pytest.mark.parametrize(
    ("text", "term"),
    [("a couple making love", "making love"), ("a couple who made love on a beach", "made love"),
     ("des adolescents qui font l'amour", "font l'amour"), ("un couple qui fait l'amour", "fait l'amour"),
     ("una pareja que hace el amor", "hace el amor"), ("dos adolescentes hacen el amor", "hacen el amor")],
)
def test_love_making_phrases_match_in_every_person_and_tense(rules, text, term):
    from safety.normalise import normalise

    assert term in rules.match(normalise(text).text).block.get("sexual", ()), text


def test_a_peace_slogan_is_not_a_sexual_request(rules):
    assert "sexual" not in rules.match("a protest poster saying make love not war").block


def test_word_boundaries(rules):
    assert rules.match("methodical planning").block == {}
    assert rules.match("a stalk of celery").block == {}
    assert "illicit" in rules.match("crystal meth").block


def test_minor_and_public_figure_signals(rules):
    hits = rules.match("taylor swift with a 12 year old")
    assert hits.public_figures == ("taylor swift",)
    assert hits.minors == ("12 year old",)


def test_a_deployment_extends_the_terms(tmp_path):
    extra = tmp_path / "terms.toml"
    extra.write_text('[illicit]\nblock = ["glorbium"]\n', encoding="utf-8")
    figures = tmp_path / "figures.txt"
    figures.write_text("# local mayor\njane q mayor\n", encoding="utf-8")
    policy = default_policy()
    rules = load_rules(policy.term_files + (extra,), policy.figure_files + (figures,))
    assert "illicit" in rules.match("selling glorbium").block
    assert rules.match("Jane Q Mayor dancing").public_figures == ("Jane Q Mayor",)


@pytest.mark.parametrize(
    ("text", "category"),
    [("eine Schießerei in einer Schule", "violence"), ("un vídeo porno", "sexual"),
     ("une vidéo de recrutement djihadiste", "violent-extremism"), ("cómo fabricar explosivos en casa", "illicit"),
     ("ein gefälschtes Video", "deception")],
)
def test_terms_in_other_languages_match_the_folded_prompt(rules, text, category):
    from safety.normalise import normalise

    assert category in rules.match(normalise(text).text).block


@pytest.mark.parametrize(
    "text",
    ["un sanglier dans la forêt", "une plage au soleil", "Unkraut aus den Ritzen entfernen", "eine Waffel mit Sahne",
     "bedrohte Tierarten im Regenwald", "acostar al bebé en la cuna", "a faux fur coat", "ein gewaltiger Wasserfall"],
)
def test_foreign_look_alikes_pass(rules, text):
    from safety.normalise import normalise

    hits = rules.match(normalise(text).text)
    assert hits.block == {} and hits.review == {}, (hits.block, hits.review)


@pytest.mark.parametrize(("text", "name"), [("kylian mbappé scoring a penalty", "kylian mbappé"),
                                            ("kylian mbappe scoring a penalty", "kylian mbappe")])
def test_public_figures_match_with_or_without_accents(rules, text, name):
    assert rules.match(text).public_figures == (name,)
