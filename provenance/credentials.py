"""Signing credentials: load a certificate chain and key, or make development ones labelled as test credentials."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .errors import CredentialsError

DEFAULT_KEYS_DIR = Path("var/keys")
CHAIN_FILE, KEY_FILE, ROOT_FILE = "signing-chain.pem", "signing-key.pem", "trust-anchors.pem"
TEST_LABEL = "TEST CREDENTIALS - NOT FOR PRODUCTION"
# id-kp-documentSigning (RFC 9336), one of the extended key usages C2PA accepts for claim signing.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@dataclass(frozen=True)
class Credentials:
    """A PEM certificate chain (leaf first), its EC private key, and optional PEM trust anchors."""

    cert_chain_pem: bytes
    private_key_pem: bytes
    trust_anchors_pem: bytes | None = None
    signer: str = ""
    not_after: dt.datetime | None = None

    def check_valid(self, now: dt.datetime | None = None) -> None:
        """Raise CredentialsError if the leaf certificate is expired or not yet valid."""
        leaf = x509.load_pem_x509_certificate(self.cert_chain_pem)
        _check_dates(leaf, now)


def _check_dates(cert: x509.Certificate, now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.UTC)
    if now < cert.not_valid_before_utc:
        raise CredentialsError(f"the signing certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}")
    if now > cert.not_valid_after_utc:
        raise CredentialsError(f"the signing certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}; "
                               "issue a new one before sealing")


def _read(path, what: str) -> bytes:
    if path is None:
        raise CredentialsError(f"no {what} path is configured")
    path = Path(path)
    if not path.is_file():
        raise CredentialsError(f"{what} not found at {path}; run `python -m provenance keys init` for "
                               "development keys or point the settings at real ones")
    return path.read_bytes()


def _common_name(cert: x509.Certificate) -> str:
    for attr in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = cert.subject.get_attributes_for_oid(attr)
        if values:
            return str(values[0].value)
    return cert.subject.rfc4514_string()


def load_credentials(cert_chain_path, key_path, trust_anchors_path=None) -> Credentials:
    """Read and check a PEM chain and key; refuses missing, unreadable, mismatched or expired credentials."""
    chain_pem = _read(cert_chain_path, "certificate chain")
    key_pem = _read(key_path, "private key")
    anchors = _read(trust_anchors_path, "trust anchors") if trust_anchors_path is not None else None
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        raise CredentialsError(f"the certificate chain at {cert_chain_path} is not PEM certificates") from exc
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialsError(f"the private key at {key_path} is not an unencrypted PEM key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise CredentialsError("ES256 signing needs an EC P-256 private key")
    leaf = chain[0]
    if leaf.public_key().public_numbers() != key.public_key().public_numbers():
        raise CredentialsError("the private key does not belong to the first certificate of the chain")
    if len(chain) < 2:
        raise CredentialsError("the chain holds only one certificate; C2PA needs a leaf signed by a CA")
    for cert in chain:
        _check_dates(cert)
    return Credentials(cert_chain_pem=chain_pem, private_key_pem=key_pem, trust_anchors_pem=anchors,
                       signer=_common_name(leaf), not_after=leaf.not_valid_after_utc)


def _name(common: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "XX"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Clearframe (test credentials)"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_LABEL),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ])


def make_test_chain(*, days: int = 365, now: dt.datetime | None = None):
    """Return (root cert, leaf cert, leaf key) of a fresh development CA; used by keys init and tests."""
    now = now or dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Clearframe Test Root CA")
    root = (
        x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days * 5))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder().subject_name(_name("Clearframe Test Signer")).issuer_name(root_name)
        .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return root, leaf, leaf_key


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def init_dev_keys(directory=DEFAULT_KEYS_DIR, *, days: int = 365) -> Credentials:
    """Write a development root CA and signing certificate under `directory` and load them back."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    root, leaf, leaf_key = make_test_chain(days=days)
    key_pem = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    (directory / CHAIN_FILE).write_bytes(_pem(leaf) + _pem(root))
    key_path = directory / KEY_FILE
    key_path.write_bytes(key_pem)
    key_path.chmod(0o600)
    (directory / ROOT_FILE).write_bytes(_pem(root))
    (directory / "README.txt").write_text(
        f"{TEST_LABEL}\nA development CA and signing certificate made by `python -m provenance keys init`.\n"
        "Files signed with them read as Trusted only where trust-anchors.pem is configured.\n")
    return load_credentials(directory / CHAIN_FILE, key_path, directory / ROOT_FILE)
