import json
import subprocess
import sys


def run(args, stdin: bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "safety", *args], input=stdin, capture_output=True, timeout=300)


def test_moderate_reads_json_lines_and_survives_bad_lines():
    lines = b"\n".join([
        json.dumps({"prompt": "a calm lake at dawn", "id": 1}).encode(),
        b"{not json",
        json.dumps({"text": "no prompt field"}).encode(),
        b'{"prompt": "\xff\xfe"}',
        json.dumps({"prompt": ""}).encode(),
        json.dumps({"prompt": "an explicit porn scene"}).encode(),
    ])
    result = run(["moderate"], lines)
    assert result.returncode == 0, result.stderr.decode()
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == 6
    assert out[0]["decision"] == "allow" and out[0]["id"] == 1 and "categories" in out[0]
    assert out[1]["error"] == "JSONDecodeError" and out[1]["line"] == 2
    assert "prompt" in out[2]["message"]
    assert "UTF-8" in out[3]["message"]
    assert out[4]["error"] == "InvalidPrompt"
    assert out[5]["decision"] in {"review", "block"} and out[5]["reasons"]
