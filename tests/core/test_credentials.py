"""The install's signing key and certificate: made once, private to the user, described,
replaced by the creator's own (checked first, the old ones kept)."""

from __future__ import annotations

import datetime
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from remix_desktop.core import credentials
from remix_desktop.core.errors import UsageError


def own_pair(tmp_path, *, key=None, days: int = 30, name: str = "Jo Creator"):
    """A creator's own key and self-issued certificate, as PEM files."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    key_file, cert_file = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file, cert


def test_made_on_first_use_private_and_the_same_after(home):
    first = credentials.signer(home)
    assert first.local and first.alg == "es256"
    assert "Remix Desktop signer" in first.subject
    assert len(first.fingerprint.split(":")) == 32
    for path in (first.key, first.chain):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials.folder(home).stat().st_mode) == 0o700
    chain = x509.load_pem_x509_certificates(first.chain.read_bytes())
    assert len(chain) == 2  # the signing leaf and the local CA that issued it
    assert chain[0].issuer == chain[1].subject
    assert credentials.signer(home) == first  # made once


def test_the_creators_own_replaces_it_and_the_old_is_kept(home, tmp_path):
    made = credentials.signer(home)
    key_file, cert_file, cert = own_pair(tmp_path)
    mine = credentials.replace(home, key_file, cert_file)
    assert not mine.local and "Jo Creator" in mine.subject
    assert mine.fingerprint.replace(":", "") == cert.fingerprint(hashes.SHA256()).hex().upper()
    assert credentials.signer(home) == mine
    kept = [p for p in credentials.folder(home).iterdir() if p.name.startswith("replaced-")]
    assert len(kept) == 1
    assert credentials.describe(kept[0] / credentials.KEY_NAME,
                                kept[0] / credentials.CHAIN_NAME).fingerprint == made.fingerprint
    assert stat.S_IMODE(mine.key.stat().st_mode) == 0o600


def test_what_cannot_sign_is_refused_and_nothing_is_moved(home, tmp_path):
    before = credentials.signer(home)
    key_file, cert_file, _ = own_pair(tmp_path)
    other_key, _, _ = own_pair(tmp_path, name="Someone else")
    with pytest.raises(UsageError, match="is not for the key"):
        credentials.replace(home, other_key, cert_file)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a key")
    with pytest.raises(UsageError, match="not a PEM private key"):
        credentials.replace(home, notes, cert_file)
    with pytest.raises(UsageError, match="holds no PEM certificate"):
        credentials.replace(home, key_file, notes)
    rsa_key, rsa_cert, _ = own_pair(tmp_path, name="rsa", key=rsa.generate_private_key(
        public_exponent=65537, key_size=2048))
    with pytest.raises(UsageError, match="ES256, ES384 or Ed25519"):
        credentials.replace(home, rsa_key, rsa_cert)
    old_key, old_cert, _ = own_pair(tmp_path, name="expired", days=-1)
    with pytest.raises(UsageError, match="not valid now"):
        credentials.replace(home, old_key, old_cert)
    assert credentials.signer(home) == before
    assert not [p for p in credentials.folder(home).iterdir() if p.name.startswith("replaced")]
