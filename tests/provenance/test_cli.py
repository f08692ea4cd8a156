"""The command line: keys init, seal, inspect --json, evaluate, and typed errors as exit code 2."""

import json

from provenance import encode_video
from provenance.__main__ import main


def test_keys_seal_inspect(tmp_path, scene, capsys):
    keys = tmp_path / "keys"
    assert main(["keys", "init", "--dir", str(keys)]) == 0
    assert "TEST CREDENTIALS" in capsys.readouterr().out
    source = encode_video(scene[:16], 16, tmp_path / "in.mp4")
    out = tmp_path / "out.mp4"
    assert main(["seal", str(source), str(out), "--model", "builtin", "--prompt", "a boat", "--keys", str(keys)]) == 0
    sealed = json.loads(capsys.readouterr().out)
    assert main(["inspect", str(out), "--json", "--keys", str(keys)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["c2pa"]["trusted"] and report["c2pa"]["manifest_id"] == sealed["manifest_id"]
    assert report["watermark"]["detected"] and report["watermark"]["payload"] == sealed["payload"]
    assert report["watermark"]["seconds"][0]["detected"]
    assert report["fingerprint"]["hashes"]
    assert main(["inspect", str(out), "--keys", str(keys)]) == 0
    assert "trusted" in capsys.readouterr().out


def test_bad_input_exits_2(tmp_path, capsys):
    bogus = tmp_path / "bogus.mp4"
    bogus.write_text("hello")
    assert main(["inspect", str(bogus)]) == 2
    assert "not a video" in capsys.readouterr().err


def test_seal_without_keys_exits_2(tmp_path, scene, capsys):
    source = encode_video(scene[:4], 16, tmp_path / "in.mp4")
    assert main(["seal", str(source), str(tmp_path / "o.mp4"), "--keys", str(tmp_path / "none")]) == 2
    assert "keys init" in capsys.readouterr().err


def test_evaluate_prints_every_attack(capsys):
    from provenance.attacks import attack_suite
    from provenance.evaluation import run_evaluation

    code = run_evaluation(clips=1, unmarked=3, size=(128, 128), seconds=2.0)
    text = capsys.readouterr().out
    assert code in (0, 1)
    for name, _, _ in attack_suite():
        assert name in text
    assert "false detections on 3 unmarked clips" in text and "PSNR" in text and "SSIM" in text
