"""C2PA manifests with c2pa-python: what the platform claims about a video, signing it, reading it back."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import c2pa

from .credentials import Credentials
from .errors import ManifestError

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
GENERATION_LABEL = "io.clearframe.generation"
GENERATOR = "Clearframe"
# CAWG training-and-data-mining entries, all refused.
DO_NOT_TRAIN = ("cawg.data_mining", "cawg.ai_inference", "cawg.ai_generative_training", "cawg.ai_training")


def canonical_json(value) -> str:
    """Key-sorted, compact JSON: equal settings always hash the same."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


@dataclass(frozen=True)
class Claims:
    """What the manifest states about a generated video. Prompt and settings appear only as SHA-256 hashes."""

    model: str
    model_version: str = ""
    prompt_sha256: str = ""
    settings_sha256: str = ""
    created_at: str = ""
    title: str = "Generated video"

    @classmethod
    def for_generation(cls, *, model: str, prompt: str, settings: dict | None = None, model_version: str = "",
                       title: str = "Generated video", created_at: dt.datetime | None = None) -> Claims:
        """Claims for one generation job: hashes the prompt (UTF-8) and the settings (canonical JSON)."""
        when = (created_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        return cls(model=model, model_version=model_version, prompt_sha256=sha256_hex(prompt),
                   settings_sha256=sha256_hex(canonical_json(settings or {})),
                   created_at=when.isoformat(timespec="seconds").replace("+00:00", "Z"), title=title)


def manifest_definition(claims: Claims, *, watermark_algorithm: str, payload: bytes) -> dict:
    """The manifest JSON handed to the c2pa Builder."""
    agent = {"name": claims.model, **({"version": claims.model_version} if claims.model_version else {})}
    created = {"action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA, "softwareAgent": agent}
    if claims.created_at:
        created["when"] = claims.created_at
    return {
        "claim_generator_info": [{"name": GENERATOR, "version": "0.1.0"}],
        "title": claims.title,
        "format": "video/mp4",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [
                created,
                {"action": "c2pa.watermarked.bound", "softwareAgent": {"name": GENERATOR},
                 "description": f"invisible watermark {watermark_algorithm} carrying the soft-binding payload"},
            ]}},
            {"label": "c2pa.soft-binding", "data": {
                "alg": watermark_algorithm,
                "blocks": [{"scope": {}, "value": base64.b64encode(payload).decode()}],
            }},
            {"label": "cawg.training-mining", "data": {"entries": {k: {"use": "notAllowed"} for k in DO_NOT_TRAIN}}},
            {"label": GENERATION_LABEL, "data": {
                "model": claims.model, "model_version": claims.model_version,
                "prompt_sha256": claims.prompt_sha256, "settings_sha256": claims.settings_sha256,
                "created_at": claims.created_at, "watermark": {"alg": watermark_algorithm, "payload": payload.hex()},
            }},
        ],
    }


def _context(trust_anchors_pem: bytes | str | None) -> c2pa.Context:
    settings: dict = {"verify": {"verify_trust": trust_anchors_pem is not None, "remote_manifest_fetch": False,
                                 "ocsp_fetch": False}}
    if trust_anchors_pem is not None:
        pem = trust_anchors_pem.decode() if isinstance(trust_anchors_pem, bytes) else trust_anchors_pem
        settings["trust"] = {"trust_anchors": pem}
    return c2pa.Context.from_dict(settings)


def sign_mp4(source: Path, dest: Path, claims: Claims, credentials: Credentials, *, watermark_algorithm: str,
             payload: bytes) -> str:
    """Sign the MP4 at `source` into `dest` (ES256) and return the manifest label.

    One Builder and one Signer per call: sharing them across threads is reported to crash.
    """
    definition = manifest_definition(claims, watermark_algorithm=watermark_algorithm, payload=payload)
    try:
        info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, credentials.cert_chain_pem,
                                   credentials.private_key_pem, None)
        with _context(credentials.trust_anchors_pem) as context, c2pa.Signer.from_info(info) as signer, \
                c2pa.Builder(definition, context) as builder, open(source, "rb") as src, open(dest, "w+b") as dst:
            builder.sign(signer, "video/mp4", src, dst)
    except c2pa.C2paError as exc:
        raise ManifestError(f"signing the C2PA manifest failed: {exc}") from exc
    result = read_manifest(dest, trust_anchors=credentials.trust_anchors_pem)
    if not result.valid or not result.manifest_id:
        raise ManifestError(f"the freshly signed manifest does not validate: {result.errors}")
    return result.manifest_id


@dataclass
class C2paResult:
    """What the file's C2PA manifest store says, and whether it holds."""

    present: bool = False
    valid: bool = False
    trusted: bool = False
    validation_state: str | None = None
    signer: str | None = None
    manifest_id: str | None = None
    assertions: dict = field(default_factory=dict)
    manifest: dict | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def soft_binding_payload(self) -> str | None:
        """Hex payload of our soft-binding assertion, if the manifest carries one."""
        block = (self.assertions.get("c2pa.soft-binding") or {}).get("blocks") or [{}]
        value = block[0].get("value")
        try:
            return base64.b64decode(value).hex() if value else None
        except ValueError:
            return None

    def to_dict(self) -> dict:
        out = asdict(self)
        out["soft_binding_payload"] = self.soft_binding_payload
        return out


def _load_trust(trust_anchors) -> bytes | None:
    if trust_anchors is None or isinstance(trust_anchors, bytes):
        return trust_anchors
    if isinstance(trust_anchors, str) and "-----BEGIN" in trust_anchors:
        return trust_anchors.encode()
    return Path(trust_anchors).read_bytes()


def read_manifest(path_or_stream, *, trust_anchors=None) -> C2paResult:
    """Read and validate the manifest store of a file or binary stream; trust is checked against PEM anchors."""
    anchors = _load_trust(trust_anchors)
    if isinstance(path_or_stream, (bytes, bytearray)):
        path_or_stream = io.BytesIO(path_or_stream)
    try:
        with _context(anchors) as context:
            if isinstance(path_or_stream, (str, os.PathLike)):
                reader = c2pa.Reader(str(path_or_stream), context=context)
            else:
                path_or_stream.seek(0)
                reader = c2pa.Reader(path_or_stream, context=context)
            with reader:
                store = json.loads(reader.json())
                state = reader.get_validation_state()
    except c2pa.C2paError as exc:
        text = str(exc)
        if "ManifestNotFound" in type(exc).__name__ or "not found" in text.lower() or "JumbfNotFound" in text:
            return C2paResult()
        return C2paResult(present=True, errors=[f"{type(exc).__name__}: {text}"])
    active = store.get("active_manifest")
    manifest = (store.get("manifests") or {}).get(active) or {}
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = [f"{item.get('code')}: {item.get('explanation', '')}" for item in results.get("failure", [])]
    failures += [f"{item.get('code')}: {item.get('explanation', '')}" for item in store.get("validation_status", [])
                 if item.get("code") and not str(item.get("code")).endswith(("trusted", "validated", "match"))
                 and f"{item.get('code')}: {item.get('explanation', '')}" not in failures]
    assertions = {a.get("label"): a.get("data") for a in manifest.get("assertions", [])}
    signature = manifest.get("signature_info") or {}
    untrusted_only = all(f.startswith("signingCredential.untrusted") for f in failures)
    valid = state in ("Valid", "Trusted") or (state is None and bool(manifest) and untrusted_only)
    return C2paResult(present=True, valid=valid, trusted=state == "Trusted", validation_state=state,
                      signer=signature.get("issuer") or signature.get("common_name"), manifest_id=active,
                      assertions=assertions, manifest=store, errors=failures)
