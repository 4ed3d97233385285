"""The mock's own certificate authority, kept in the data directory.

Clients that hard-code ``https://api.stability.ai`` verify the server's
certificate; trusting one local CA (``stability-mock ca-cert``) lets the proxy
and ``serve --tls`` present certificates for that name without touching the
client's code. The CA is created once and reused, so a CA a developer trusted
yesterday still works today; its private key is written with mode 0600 and is
never served by anything.

A trusted CA's key can vouch for any host, so the CA is name-constrained to the
names it is for (:data:`PERMITTED`): a leaf for any other name fails
verification even if the key leaks. A CA made before that carries no
constraint; it is still used (re-creating it would break every client that
trusts it) with a warning that says how to replace it. A CA folder, or data
folder, that others may write is refused: whoever can write there can put in a
CA whose key they know.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import ipaddress
import logging
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mockserver.errors import ConfigError
from mockserver.util.atomic_file import write_atomically
from mockserver.util.private_folder import private_folder

log = logging.getLogger(__name__)
#: Old CAs already warned about: once per process, not once per leaf or bundle.
_warned: set[Path] = set()

#: What the mock answers for: the live API's host, and loopback for ``serve --tls``.
DEFAULT_NAMES = ("api.stability.ai", "localhost", "127.0.0.1", "::1")
#: The only names the CA may vouch for: DNS names cover their subdomains (``*.localhost``).
PERMITTED: tuple[x509.GeneralName, ...] = (
    x509.DNSName("api.stability.ai"),
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
    x509.IPAddress(ipaddress.ip_network("::1/128")),
)
#: Cipher suites offered under TLS 1.2 (``serve --tls`` and the proxy): forward secrecy and AEAD only,
#: as Mozilla's "intermediate" profile; TLS 1.3 has its own list, all AEAD.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL"
CA_DAYS = 3650
LEAF_DAYS = 397
#: A leaf this close to expiry is issued again rather than handed to a client that would refuse it soon.
RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class CertPair:
    """A PEM certificate (chain) and its private key, as files ``ssl`` can load."""

    cert: Path
    key: Path


class LocalCA:
    """Create or load the CA under ``<data dir>/ca`` and issue leaf certificates from it."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = Path(data_dir) / "ca"
        self.cert_path = self.folder / "ca.pem"
        self.key_path = self.folder / "ca-key.pem"

    def ensure(self) -> Path:
        """The CA certificate's path, creating the CA on first use."""
        with self._locked():
            if not (self.cert_path.exists() and self.key_path.exists()):
                self._create()
            _refuse_shared(self.key_path, 0o077, "readable or writable")
            self._warn_if_unconstrained()
        return self.cert_path

    def bundle(self) -> Path:
        """certifi's public roots plus the mock CA in one file.

        Python clients read ``REQUESTS_CA_BUNDLE`` and ``SSL_CERT_FILE`` as the
        whole trust store, not an addition to it: pointing them at the CA alone
        would make every other HTTPS host fail verification.
        """
        import certifi

        ca_pem = self.ensure().read_bytes()
        path = self.folder / "bundle.pem"
        wanted = Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n" + ca_pem
        with self._locked():
            if not path.exists() or path.read_bytes() != wanted:
                write_atomically(path, wanted, mode=0o644)
        return path

    def leaf(self, names: Sequence[str] = DEFAULT_NAMES) -> CertPair:
        """A server certificate for ``names`` signed by the CA, reused while it is valid."""
        self.ensure()
        digest = hashlib.sha256(",".join(names).encode()).hexdigest()[:12]
        pair = CertPair(self.folder / f"leaf-{digest}.pem", self.folder / f"leaf-{digest}-key.pem")
        with self._locked():
            if not self._still_good(pair):
                self._issue(pair, names)
        return pair

    def _create(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "stability-upscale-mock"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"stability-mock local CA {os.urandom(4).hex()}"),
            ]
        )
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.NameConstraints(permitted_subtrees=list(PERMITTED), excluded_subtrees=None), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        write_atomically(self.key_path, _key_pem(key), mode=0o600)
        write_atomically(self.cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)

    def _issue(self, pair: CertPair, names: Sequence[str]) -> None:
        ca_cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        ca_key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{self.key_path} is not the EC key this CA writes")
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
            .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        write_atomically(pair.key, _key_pem(key), mode=0o600)
        write_atomically(pair.cert, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)

    def _still_good(self, pair: CertPair) -> bool:
        """The leaf exists, was signed by the current CA, and is not about to expire."""
        if not (pair.cert.exists() and pair.key.exists()):
            return False
        cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
        ca_cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        try:
            cert.verify_directly_issued_by(ca_cert)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return cert.not_valid_after_utc - _now() > RENEW_BEFORE

    def _warn_if_unconstrained(self) -> None:
        if self.cert_path in _warned:
            return
        cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        try:
            cert.extensions.get_extension_for_class(x509.NameConstraints)
        except x509.ExtensionNotFound:
            _warned.add(self.cert_path)
            log.warning(
                "the CA %s predates name constraints: its key can vouch for any host. To replace it, delete %s"
                " and trust the new CA (stability-mock ca-cert) again",
                self.cert_path,
                self.folder,
            )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise creation between processes (two gunicorn masters, a test and a server)."""
        private_folder(self.folder.parent)
        self.folder.mkdir(exist_ok=True, mode=0o700)
        for folder in (self.folder.parent, self.folder):
            _refuse_shared(folder, 0o022, "writable")
        with (self.folder / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _refuse_shared(path: Path, others: int, allowed: str) -> None:
    """A :class:`ConfigError` in one line when ``path``'s mode gives group or others the bits ``others``."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & others:
        raise ConfigError(
            f"{path} is {allowed} by other users (mode {mode:04o}), so the mock's CA cannot be trusted:"
            f" chmod go-rwx {path}, or choose another --data-dir"
        )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
