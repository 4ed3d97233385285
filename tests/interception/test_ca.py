"""The mock's CA (created once, reused, its key private, valid for the right names) and the proxy's settings."""

from __future__ import annotations

import stat
from pathlib import Path

import certifi
import pytest
from click.testing import CliRunner
from cryptography import x509

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
    assert [str(address) for address in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert set(DEFAULT_NAMES) == {"api.stability.ai", "localhost", "127.0.0.1"}
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
