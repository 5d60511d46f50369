"""The key and certificate this install signs Content Credentials with.

On first use a per-install ES256 key and a certificate chain for it are made with
`cryptography`: a local CA (which signs nothing else) and a leaf for signing, both kept in the
data home's `credentials/` folder, readable only by the user (0600, the folder 0700), never
copied into a backup or an export. The creator can replace them with their own key and
certificate (PEM); the ones replaced are kept beside, never deleted. A local certificate makes
a manifest "valid but untrusted" for other verifiers until the creator uses one from a CA on
the C2PA trust list.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from .atomic_files import atomic_write
from .errors import UsageError
from .home import Home

KEY_NAME, CHAIN_NAME = "signer.key", "signer-chain.pem"
FOLDER = "credentials"
LOCAL_ORG = "Remix Desktop (this device)"
YEARS = 10


@dataclass(frozen=True)
class SignerFiles:
    key: Path
    chain: Path
    alg: str  # the C2PA signing algorithm: es256, es384 or ed25519
    fingerprint: str  # SHA-256 of the signing certificate, colon-separated hex
    subject: str  # the signing certificate's subject, as RFC 4514 text
    local: bool  # made here (untrusted by other verifiers)
    not_after: str  # when the signing certificate expires (ISO date)


def folder(home: Home) -> Path:
    return home.root / FOLDER


def signer(home: Home) -> SignerFiles:
    """The signer this install uses: made on first use, read from the home after that."""
    where = folder(home)
    key, chain = where / KEY_NAME, where / CHAIN_NAME
    if not (key.is_file() and chain.is_file()):
        _make_local(where)
    return describe(key, chain)


def describe(key_path: Path, chain_path: Path) -> SignerFiles:
    """What a key and its certificate chain are, checked: the key is one C2PA signs with,
    the first certificate is for that key, it is valid now and may sign."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    try:
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{Path(key_path).name} is not a PEM private key without a "
                         f"password ({exc})") from None
    except OSError as exc:
        raise UsageError(f"{key_path} cannot be read ({exc.strerror or exc})") from None
    try:
        certs = x509.load_pem_x509_certificates(Path(chain_path).read_bytes())
    except ValueError as exc:
        raise UsageError(f"{Path(chain_path).name} holds no PEM certificate ({exc})") from None
    except OSError as exc:
        raise UsageError(f"{chain_path} cannot be read ({exc.strerror or exc})") from None
    leaf = certs[0]
    alg = _alg(key)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    mine = key.public_key().public_bytes(serialization.Encoding.DER, public)
    if leaf.public_key().public_bytes(serialization.Encoding.DER, public) != mine:
        raise UsageError(f"The first certificate in {Path(chain_path).name} is not for the key "
                         f"in {Path(key_path).name}")
    now = datetime.datetime.now(datetime.timezone.utc)
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise UsageError(f"The certificate in {Path(chain_path).name} is not valid now (from "
                         f"{leaf.not_valid_before_utc:%Y-%m-%d} to "
                         f"{leaf.not_valid_after_utc:%Y-%m-%d})")
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature:
            raise UsageError(f"The certificate in {Path(chain_path).name} may not sign "
                             "(its key usage has no digitalSignature)")
    except x509.ExtensionNotFound:
        pass
    digest = leaf.fingerprint(hashes.SHA256()).hex().upper()
    organisations = [a.value for a in leaf.subject.get_attributes_for_oid(
        x509.NameOID.ORGANIZATION_NAME)]
    return SignerFiles(Path(key_path), Path(chain_path), alg,
                       ":".join(digest[i:i + 2] for i in range(0, len(digest), 2)),
                       leaf.subject.rfc4514_string(), LOCAL_ORG in organisations,
                       f"{leaf.not_valid_after_utc:%Y-%m-%d}")


def replace(home: Home, key_path: Path, chain_path: Path) -> SignerFiles:
    """Use the creator's own key and certificate chain (PEM) from now on; checked first
    (`describe`), then copied into the home (0600). The ones they replace are kept in a
    folder named after the time, never deleted."""
    describe(key_path, chain_path)  # refused before anything is moved
    where = folder(home)
    current = signer(home)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = where / f"replaced-{stamp}"
    kept.mkdir(mode=0o700)
    os.replace(current.key, kept / KEY_NAME)
    os.replace(current.chain, kept / CHAIN_NAME)
    key_bytes, chain_bytes = Path(key_path).read_bytes(), Path(chain_path).read_bytes()
    atomic_write(where / KEY_NAME, lambda fh: fh.write(key_bytes), mode=0o600)
    atomic_write(where / CHAIN_NAME, lambda fh: fh.write(chain_bytes), mode=0o600)
    return describe(where / KEY_NAME, where / CHAIN_NAME)


def _alg(key) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if isinstance(key, ec.EllipticCurvePrivateKey):
        names = {"secp256r1": "es256", "secp384r1": "es384"}
        if key.curve.name in names:
            return names[key.curve.name]
        raise UsageError(f"An elliptic-curve key on {key.curve.name} cannot sign Content "
                         "Credentials; use P-256 (ES256) or P-384 (ES384)")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise UsageError(f"A {type(key).__name__.replace('_', '')} cannot sign Content Credentials "
                     "here; use an ES256, ES384 or Ed25519 key")


def _make_local(where: Path) -> None:
    """A local CA and a signing leaf (ES256), written 0600 into a 0700 folder."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(where, 0o700)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=365 * YEARS)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, LOCAL_ORG)])

    def usage(*, sign: bool, certs: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=sign, content_commitment=False,
                             key_encipherment=False, data_encipherment=False,
                             key_agreement=False, key_cert_sign=certs, crl_sign=certs,
                             encipher_only=False, decipher_only=False)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Remix Desktop local CA"))
          .issuer_name(name("Remix Desktop local CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(start)
          .not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(usage(sign=False, certs=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(name("Remix Desktop signer"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(sign=True, certs=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    key_bytes = key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    chain_bytes = leaf.public_bytes(pem) + ca.public_bytes(pem)
    # the chain first: a key without its certificate is made again, never used alone
    atomic_write(where / CHAIN_NAME, lambda fh: fh.write(chain_bytes), mode=0o600)
    atomic_write(where / KEY_NAME, lambda fh: fh.write(key_bytes), mode=0o600)
