"""The published demo secret never signs tokens where others could forge them."""

from __future__ import annotations

import stat

import pytest
from lifecycle_helpers import free_port, serve

from gateway.demo_secret import DEMO_SECRET, SECRET_FILE, DemoSecretRefused, resolve_secret


def test_demo_secret_with_embedded_redis_is_replaced_by_a_generated_one(tmp_path):
    data = tmp_path / "var"
    secret, note = resolve_secret(DEMO_SECRET, host="0.0.0.0", data_dir=data)
    path = data / SECRET_FILE
    assert secret != DEMO_SECRET and len(secret) == 64
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert "generated a random secret" in note and str(path) in note
    # the next start signs with the same key, so logins and visitor tokens stay valid
    again, note = resolve_secret(DEMO_SECRET, host="0.0.0.0", data_dir=data)
    assert again == secret and "signing tokens with the secret in" in note


def test_an_own_secret_is_used_as_it_is(tmp_path):
    assert resolve_secret("an-operator-chosen-secret-value", host="0.0.0.0", data_dir=tmp_path) == (
        "an-operator-chosen-secret-value", None,
    )
    assert not (tmp_path / SECRET_FILE).exists()


def test_demo_secret_with_shared_redis_is_refused_off_loopback():
    with pytest.raises(DemoSecretRefused, match="refusing to serve on 0.0.0.0 with the published demo secret"):
        resolve_secret(DEMO_SECRET, host="0.0.0.0", data_dir=None)
    for host in ("127.0.0.1", "localhost", "::1"):
        secret, note = resolve_secret(DEMO_SECRET, host=host, data_dir=None)
        assert secret == DEMO_SECRET and "loopback only" in note


def test_a_damaged_secret_file_is_a_clear_error(tmp_path):
    (tmp_path / SECRET_FILE).write_text("short\n")
    with pytest.raises(DemoSecretRefused, match="holds no usable secret"):
        resolve_secret(DEMO_SECRET, host="127.0.0.1", data_dir=tmp_path)


@pytest.mark.slow
async def test_serve_on_all_interfaces_with_shared_redis_and_demo_secret_exits_with_one_line(tmp_path, redis_url):
    gw = serve(tmp_path / "var", free_port(), env={"REDIS_URL": redis_url}, args=("--host", "0.0.0.0"))
    try:
        assert await gw.exited(20) == 1
        err = gw.err.read_text()
        assert "omnirelay serve: refusing to serve on 0.0.0.0 with the published demo secret" in err
        assert "Traceback" not in err
    finally:
        gw.kill()
