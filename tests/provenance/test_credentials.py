"""Credentials: development keys, and refusal of missing, mismatched, self-signed or expired ones."""

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from provenance import Claims, CredentialsError, init_dev_keys, load_credentials, seal
from provenance.credentials import CHAIN_FILE, KEY_FILE, ROOT_FILE, TEST_LABEL, Credentials, make_test_chain


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_init_dev_keys_writes_labelled_test_credentials(tmp_path):
    creds = init_dev_keys(tmp_path / "keys")
    for name in (CHAIN_FILE, KEY_FILE, ROOT_FILE, "README.txt"):
        assert (tmp_path / "keys" / name).is_file()
    assert TEST_LABEL in (tmp_path / "keys" / "README.txt").read_text()
    assert "test credentials" in creds.signer
    assert creds.trust_anchors_pem and creds.not_after > dt.datetime.now(dt.UTC)
    assert (tmp_path / "keys" / KEY_FILE).stat().st_mode & 0o077 == 0


def test_missing_files_refused(tmp_path):
    with pytest.raises(CredentialsError, match="not found"):
        load_credentials(tmp_path / "chain.pem", tmp_path / "key.pem")
    with pytest.raises(CredentialsError, match="no certificate chain"):
        load_credentials(None, tmp_path / "key.pem")


def test_expired_chain_refused(tmp_path):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    root, leaf, key = make_test_chain(days=2, now=past)
    (tmp_path / "chain.pem").write_bytes(_pem(leaf) + _pem(root))
    (tmp_path / "key.pem").write_bytes(_key_pem(key))
    with pytest.raises(CredentialsError, match="expired"):
        load_credentials(tmp_path / "chain.pem", tmp_path / "key.pem")


def test_seal_refuses_expired_credentials(tmp_path, scene):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    root, leaf, key = make_test_chain(days=2, now=past)
    creds = Credentials(cert_chain_pem=_pem(leaf) + _pem(root), private_key_pem=_key_pem(key))
    with pytest.raises(CredentialsError, match="expired"):
        seal(scene[:4], 16, Claims(model="m"), creds, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


def test_key_that_does_not_match_refused(tmp_path):
    root, leaf, _ = make_test_chain()
    (tmp_path / "chain.pem").write_bytes(_pem(leaf) + _pem(root))
    (tmp_path / "key.pem").write_bytes(_key_pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(CredentialsError, match="does not belong"):
        load_credentials(tmp_path / "chain.pem", tmp_path / "key.pem")


def test_lone_certificate_refused(tmp_path):
    root, leaf, key = make_test_chain()
    (tmp_path / "chain.pem").write_bytes(_pem(leaf))
    (tmp_path / "key.pem").write_bytes(_key_pem(key))
    with pytest.raises(CredentialsError, match="only one certificate"):
        load_credentials(tmp_path / "chain.pem", tmp_path / "key.pem")


def test_garbage_refused(tmp_path):
    (tmp_path / "chain.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    with pytest.raises(CredentialsError):
        load_credentials(tmp_path / "chain.pem", tmp_path / "key.pem")
