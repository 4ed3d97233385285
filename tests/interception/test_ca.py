"""The mock's CA (created once, reused, its key private, valid for the right names) and the proxy's settings."""

from __future__ import annotations

import datetime
import ipaddress
import logging
import shutil
import stat
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import certifi
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mockserver import Config, ConfigError
from mockserver.cli import main
from mockserver.interception.ca import DEFAULT_NAMES, LocalCA


def _ca_cert(*options: str) -> str:
    result = CliRunner().invoke(main, ["ca-cert", *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_ca_cert_prints_only_the_path_and_creates_the_ca_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = _ca_cert("--data-dir", str(data_dir))
    cert_path = Path(first.strip())
    assert first == f"{cert_path}\n" and cert_path.is_absolute()
    assert cert_path == (data_dir / "ca" / "ca.pem").resolve()
    pem = cert_path.read_bytes()
    key = data_dir / "ca" / "ca-key.pem"
    key_bytes = key.read_bytes()
    assert _ca_cert("--data-dir", str(data_dir)) == first
    assert cert_path.read_bytes() == pem and key.read_bytes() == key_bytes
    assert b"PRIVATE KEY" not in pem
    ca = x509.load_pem_x509_certificate(pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_the_private_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    ca = LocalCA(tmp_path)
    ca.ensure()
    pair = ca.leaf()
    for key in (ca.key_path, pair.key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    assert stat.S_IMODE(ca.folder.stat().st_mode) == 0o700
    assert not list(ca.folder.glob(".*.tmp"))


def test_the_data_dir_comes_from_the_environment_when_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STABILITY_MOCK_DATA_DIR", str(tmp_path / "from-env"))
    assert Path(_ca_cert().strip()) == (tmp_path / "from-env" / "ca" / "ca.pem").resolve()


def test_the_bundle_adds_the_ca_to_the_public_roots(tmp_path: Path) -> None:
    bundle = Path(_ca_cert("--data-dir", str(tmp_path), "--bundle").strip())
    text = bundle.read_bytes()
    ca_pem = (tmp_path / "ca" / "ca.pem").read_bytes()
    assert text.startswith(Path(certifi.where()).read_bytes().rstrip(b"\n"))
    assert text.endswith(ca_pem)
    assert b"PRIVATE KEY" not in text
    assert Path(_ca_cert("--data-dir", str(tmp_path), "--bundle").strip()).read_bytes() == text


def test_the_leaf_names_the_api_host_and_loopback_and_is_signed_by_the_ca(tmp_path: Path) -> None:
    ca = LocalCA(tmp_path)
    pair = ca.leaf()
    leaf = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    issuer = x509.load_pem_x509_certificate(ca.ensure().read_bytes())
    leaf.verify_directly_issued_by(issuer)
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["api.stability.ai", "localhost"]
    assert [str(address) for address in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    assert set(DEFAULT_NAMES) == {"api.stability.ai", "localhost", "127.0.0.1", "::1"}
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_the_leaf_is_reused_and_issued_again_for_a_new_ca(tmp_path: Path) -> None:
    ca = LocalCA(tmp_path)
    pair = ca.leaf()
    pem = pair.cert.read_bytes()
    assert ca.leaf().cert.read_bytes() == pem
    ca.cert_path.unlink()
    ca.key_path.unlink()
    renewed = ca.leaf()
    assert renewed.cert.read_bytes() != pem
    x509.load_pem_x509_certificate(renewed.cert.read_bytes()).verify_directly_issued_by(
        x509.load_pem_x509_certificate(ca.ensure().read_bytes())
    )


def test_proxy_port_and_tls_are_typed_settings() -> None:
    config = Config.from_env({"STABILITY_MOCK_PROXY_PORT": "8443", "STABILITY_MOCK_TLS": "true"})
    assert (config.proxy_port, config.tls) == (8443, True)
    assert (Config().proxy_port, Config().tls) == (None, False)


def test_a_proxy_port_must_be_a_real_port_other_than_the_servers() -> None:
    for bad in (8080, 70000, 0):
        with pytest.raises(ConfigError, match="proxy_port"):
            Config(proxy_port=bad)


def test_the_proxy_reaches_a_wildcard_bound_server_on_loopback(tmp_path: Path) -> None:
    from mockserver.interception.process import proxy_settings
    from mockserver.interception.proxy import loopback_for

    assert [loopback_for(host) for host in ("0.0.0.0", "::", "127.0.0.1", "10.1.2.3")] == [
        "127.0.0.1",
        "::1",
        "127.0.0.1",
        "10.1.2.3",
    ]
    settings = proxy_settings(Config(host="0.0.0.0", port=9000, proxy_port=9001, data_dir=tmp_path, tls=True))
    assert (settings.listen_host, settings.listen_port) == ("0.0.0.0", 9001)
    assert (settings.upstream_host, settings.upstream_port) == ("127.0.0.1", 9000)
    assert settings.upstream_ca == LocalCA(tmp_path).cert_path


# Name constraints: the CA's key vouches for its own names only -------------------------------


def _cert_for(
    names: Sequence[str], *, signer: ec.EllipticCurvePrivateKey, issuer: x509.Name, ca: bool = False
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate for ``names`` as someone holding ``signer`` would make one: no help from LocalCA."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if ca else issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
    )
    if not ca:
        general = [
            x509.IPAddress(ipaddress.ip_address(name)) if name[0].isdigit() or ":" in name else x509.DNSName(name)
            for name in names
        ]
        builder = builder.add_extension(x509.SubjectAlternativeName(general), critical=False).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(signer if not ca else key, hashes.SHA256()), key


def _openssl_verify(ca: LocalCA, names: Sequence[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    ca_key = serialization.load_pem_private_key(ca.key_path.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    issuer = x509.load_pem_x509_certificate(ca.cert_path.read_bytes()).subject
    leaf, _ = _cert_for(names, signer=ca_key, issuer=issuer)
    path = tmp_path / "minted.pem"
    path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    command = ["openssl", "verify", "-CAfile", str(ca.cert_path), "-purpose", "sslserver", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize(
    ("names", "accepted"),
    [
        (["www.google.com"], False),
        (["api.stability.ai", "evil.example"], False),
        (["10.0.0.1"], False),
        (["::2"], False),
        (["api.stability.ai"], True),
        (["localhost", "127.0.0.5"], True),
        (["::1"], True),
        (["a.localhost"], True),
    ],
)
def test_a_leaf_signed_with_the_ca_key_verifies_only_for_the_cas_names(
    tmp_path: Path, names: list[str], accepted: bool
) -> None:
    """What a leaked key could mint: ``openssl verify`` refuses any name outside the CA's constraints."""
    ca = LocalCA(tmp_path / "data")
    ca.ensure()
    completed = _openssl_verify(ca, names, tmp_path)
    output = completed.stdout + completed.stderr
    assert (completed.returncode == 0) == accepted, output
    assert accepted or "permitted subtree violation" in output


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_leaf_verifies_for_ipv6_loopback(tmp_path: Path) -> None:
    ca = LocalCA(tmp_path / "data")
    pair = ca.leaf()
    command = ["openssl", "verify", "-CAfile", str(ca.cert_path), "-purpose", "sslserver", "-verify_ip", "::1"]
    completed = subprocess.run([*command, str(pair.cert)], capture_output=True, text=True, timeout=30, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_a_ca_made_before_name_constraints_is_kept_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Re-creating it would break every client that trusts it: the warning says how to replace it instead."""
    folder = tmp_path / "data" / "ca"
    folder.mkdir(parents=True, mode=0o700)
    old, key = _cert_for(
        ["stability-mock local CA old"], signer=ec.generate_private_key(ec.SECP256R1()), issuer=x509.Name([]), ca=True
    )
    (folder / "ca.pem").write_bytes(old.public_bytes(serialization.Encoding.PEM))
    key_path = folder / "ca-key.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="mockserver.interception.ca"):
        ca = LocalCA(tmp_path / "data")
        assert ca.ensure().read_bytes() == old.public_bytes(serialization.Encoding.PEM)
        ca.leaf()
    (warning,) = [record.getMessage() for record in caplog.records]
    assert "predates name constraints" in warning and str(folder) in warning


# A CA others could have put there is refused ------------------------------------------------


@pytest.mark.parametrize(
    ("target", "mode", "words"),
    [
        ("ca", 0o777, "writable by other users (mode 0777)"),
        ("ca", 0o770, "writable by other users (mode 0770)"),
        (".", 0o757, "writable by other users (mode 0757)"),
        ("ca/ca-key.pem", 0o666, "readable or writable by other users (mode 0666)"),
        ("ca/ca-key.pem", 0o640, "readable or writable by other users (mode 0640)"),
    ],
)
def test_a_ca_others_may_write_is_refused_in_one_line(tmp_path: Path, target: str, mode: int, words: str) -> None:
    data_dir = tmp_path / "data"
    _ca_cert("--data-dir", str(data_dir))
    (data_dir / target).chmod(mode)
    try:
        result = CliRunner().invoke(main, ["ca-cert", "--data-dir", str(data_dir)])
    finally:
        (data_dir / target).chmod(0o600 if target.endswith(".pem") else 0o700)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {data_dir / target if target != '.' else data_dir}") and words in line, line
    assert result.stdout == ""


@pytest.mark.parametrize("option", [["--tls"], ["--proxy-port", "1"]])
def test_serve_refuses_such_a_ca_before_it_starts(tmp_path: Path, option: list[str]) -> None:
    data_dir = tmp_path / "data"
    _ca_cert("--data-dir", str(data_dir))
    (data_dir / "ca").chmod(0o777)
    command = [
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        *option,
        "--data-dir",
        str(data_dir),
        "--store",
        "memory://",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    (data_dir / "ca").chmod(0o700)
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.splitlines() == [
        f"Error: {data_dir / 'ca'} is writable by other users (mode 0777), so the mock's CA cannot be trusted:"
        f" chmod go-rwx {data_dir / 'ca'}, or choose another --data-dir"
    ]
