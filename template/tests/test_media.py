"""Uploads: a volume nginx serves on one host, a shared S3 bucket behind a load balancer.

The servers run the Dockerfile's uvicorn command under the production settings, with
the overlay's URLconf (overlay.py) adding a view that saves a posted file through the
default storage, as a FileField does. On one host, real nginx serves the rendered site
in front of it; behind the load balancer, the bucket is moto's S3 server on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import ssl
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from baking import bake, combo_id, valid_combinations
from generated import (
    dockerfile_env,
    free_port,
    loopback_command,
    production_env,
    server,
)
from nginx_site import RunningNginx, running_nginx
from overlay import overlay_env

SINGLE_HOST = {
    "database": "sqlite",
    "use_signup": "no",
    "use_mindmap": "no",
    "ci": "none",
    "deploy_target": "single-host",
}
BUCKET = "app-uploads"
# moto accepts any credentials; boto3 must find these and look nowhere else.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}


def request(
    port: int,
    method: str,
    path: str,
    *,
    tls: bool = False,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    host: str = "example.com",
) -> tuple[int, dict[str, str], bytes]:
    """Send one request to 127.0.0.1:``port``; return status, headers (lower-case), body."""
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=30, context=context
        )
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return (
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


def upload(port: int, filename: str, content: bytes, **kwargs) -> dict[str, str]:
    """POST ``content`` as the form's file ``filename``; the saved name and its URL."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        **kwargs.pop("headers", {}),
    }
    status, _, answer = request(
        port, "POST", "/overlay/upload/", body=body, headers=headers, **kwargs
    )
    assert status == 200, (status, answer)
    return json.loads(answer)


# What each combination renders ---------------------------------------------


def test_uploads_get_a_volume_on_one_host_and_the_s3_bucket_behind_a_load_balancer(
    valid_projects,
):
    """One host: every app container writes the `media` volume, nginx reads it at /media/.

    Behind the load balancer no disk is shared: no media volume, no /media/ location,
    and django-storages in the image's requirements instead.
    """
    for combo in valid_combinations():
        path = valid_projects[combo_id(combo)]
        compose = yaml.safe_load((path / "compose.yaml").read_text())
        services = compose["services"]
        site = (path / "nginx" / "site.conf").read_text()
        dockerfile = (path / "Dockerfile").read_text()
        production = (path / "requirements" / "production.txt").read_text().splitlines()
        apps = {
            name: service
            for name, service in services.items()
            if name.startswith("web") or name in ("worker", "migrate")
        }
        if combo["deploy_target"] == "aws-alb":
            assert "media" not in compose["volumes"], path
            mounts = [
                mount for service in services.values() for mount in service.get("volumes", [])
            ]
            assert not [mount for mount in mounts if "/srv/media" in mount], path
            assert "location /media/" not in site, path
            assert "DJANGO_MEDIA_ROOT" not in dockerfile, path
            assert "django-storages[s3]>=1.14" in production, path
        else:
            media_root = dockerfile_env(path, "DJANGO_MEDIA_ROOT")
            assert media_root == "/srv/media", path
            assert f"mkdir -p {media_root} && chown app {media_root}" in dockerfile, path
            assert "media" in compose["volumes"], path
            for name, service in apps.items():
                assert f"media:{media_root}" in service["volumes"], (path, name)
            assert f"media:{media_root}:ro" in services["nginx"]["volumes"], path
            assert services["static"]["volumes"] == ["static:/srv/static"], path
            media = site[site.index("    location /media/ {") :]
            assert f"alias {media_root}/;" in media[: media.index("\n    }\n")], path
            assert not any(line.startswith("django-storages") for line in production), path
        assert "media/" in (path / ".gitignore").read_text().splitlines(), path
        assert "media" in (path / ".dockerignore").read_text().splitlines(), path


# One host: the media volume behind nginx -------------------------------------


@pytest.fixture(scope="module")
def single_host(
    tmp_path_factory, venv_python, nginx, certificate
) -> Iterator[tuple[RunningNginx, Path, Path]]:
    """A single-host project's app behind its nginx site; the site and the media root."""
    directory = tmp_path_factory.mktemp("media-single-host")
    path = bake(directory, **SINGLE_HOST)
    # The `media` volume, at the Dockerfile's DJANGO_MEDIA_ROOT in the containers.
    media = directory / "media-volume"
    media.mkdir()
    env = overlay_env(path, production_env("single-host", directory), directory)
    # channel_layer=redis; nothing here connects to it.
    env.update(REDIS_URL="redis://127.0.0.1:6379/0", DJANGO_MEDIA_ROOT=str(media))
    port = free_port()
    with ExitStack() as stack:
        stack.enter_context(server(loopback_command(venv_python, path, port), path, env, port))
        site = stack.enter_context(
            running_nginx(
                path / "nginx" / "site.conf",
                nginx,
                certificate,
                f"127.0.0.1:{port}",
                directory / "nginx",
                media_root=media,
            )
        )
        yield site, media, path


def test_an_upload_lands_in_the_media_volume_and_nginx_serves_it_back(single_host):
    """The app writes the file under DJANGO_MEDIA_ROOT, not the checkout; nginx serves it."""
    site, media, path = single_host
    content = b"minutes of the meeting\n"

    saved = upload(site.https_port, "notes.txt", content, tls=True)
    status, headers, body = request(site.https_port, "GET", saved["url"], tls=True)

    assert saved["url"] == f"/media/{saved['name']}"
    assert (media / saved["name"]).read_bytes() == content
    assert not list(path.rglob("notes*.txt")), "an upload landed in the checkout (/app)"
    assert status == 200
    assert body == content
    assert headers["content-type"] == "text/plain"
    assert headers["x-content-type-options"] == "nosniff"
    assert "content-disposition" not in headers
    assert request(site.http_port, "GET", saved["url"])[0] == 301


def test_a_second_upload_of_a_name_keeps_the_first(single_host):
    """Two uploads called the same get names of their own; both files stay."""
    site, media, _ = single_host

    first = upload(site.https_port, "report.txt", b"first\n", tls=True)
    second = upload(site.https_port, "report.txt", b"second\n", tls=True)

    assert first["name"] != second["name"]
    assert (media / first["name"]).read_bytes() == b"first\n"
    assert (media / second["name"]).read_bytes() == b"second\n"


@pytest.mark.parametrize(
    "filename",
    ["page.html", "drawing.svg", "script.js", "page.htm", "no-extension", "report.pdf"],
)
def test_an_uploaded_page_or_script_is_a_download_that_runs_nothing(single_host, filename):
    """HTML, SVG, script, unknown: octet-stream, a download, no sniffing, a sandbox."""
    site, _, _ = single_host
    content = b"<html><script>alert(document.cookie)</script></html>"

    saved = upload(site.https_port, filename, content, tls=True)
    status, headers, body = request(site.https_port, "GET", saved["url"], tls=True)

    assert status == 200
    assert body == content
    expected = "application/pdf" if filename.endswith(".pdf") else "application/octet-stream"
    assert headers["content-type"] == expected
    assert headers["content-disposition"] == "attachment"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_an_uploaded_image_shows_inline_in_a_sandbox(single_host):
    """Images keep their type and show in the browser, still without scripts or origin."""
    site, _, _ = single_host
    png = bytes.fromhex("89504e470d0a1a0a") + b"\0" * 16

    saved = upload(site.https_port, "photo.png", png, tls=True)
    status, headers, body = request(site.https_port, "GET", saved["url"], tls=True)

    assert status == 200
    assert body == png
    assert headers["content-type"] == "image/png"
    assert "content-disposition" not in headers
    assert headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_the_media_directory_is_not_listed(single_host):
    """/media/ and its folders answer 403 and name no file."""
    site, media, _ = single_host
    saved = upload(site.https_port, "secret-name.txt", b"x", tls=True)
    folder = "/media/" + saved["name"].rsplit("/", 1)[0] + "/"

    for path in ("/media/", folder):
        status, _, body = request(site.https_port, "GET", path, tls=True)

        assert status == 403, path
        assert b"secret-name" not in body, path
    assert (media / saved["name"]).exists()


# Behind a load balancer: the S3 bucket every instance shares --------------------


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1; its endpoint URL."""
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        moto.stop()


def test_behind_the_load_balancer_uploads_go_to_the_bucket_every_instance_shares(
    venv_python, s3, tmp_path
):
    """Two instances, no shared disk: each saves to the bucket and sees the other's files.

    The second upload of a name gets a name of its own, so the second instance found the
    first one's file in the bucket. The bucket is private: each file's URL is signed, and
    only the signed URL serves its bytes.
    """
    import boto3

    path = bake(tmp_path)  # the defaults: deploy_target=aws-alb
    client = boto3.client(
        "s3",
        endpoint_url=s3,
        region_name="us-east-1",
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)
    env = overlay_env(path, production_env("defaults", tmp_path), tmp_path)
    env.update(
        AWS_ENV,
        DJANGO_AWS_STORAGE_BUCKET_NAME=BUCKET,
        DJANGO_AWS_S3_ENDPOINT_URL=s3,
        DJANGO_AWS_S3_REGION_NAME="us-east-1",
    )
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        for port in ports:
            stack.enter_context(server(loopback_command(venv_python, path, port), path, env, port))
        as_from_nginx = {"X-Forwarded-Proto": "https"}

        first = upload(ports[0], "notes.txt", b"from the first\n", headers=as_from_nginx)
        second = upload(ports[1], "notes.txt", b"from the second\n", headers=as_from_nginx)

    assert first["name"] != second["name"]
    for saved, content in ((first, b"from the first\n"), (second, b"from the second\n")):
        stored = client.get_object(Bucket=BUCKET, Key=saved["name"])["Body"].read()
        url = urlsplit(saved["url"])
        assert url.port is not None
        status, _, served = request(url.port, "GET", f"{url.path}?{url.query}", host=url.netloc)

        assert stored == content
        assert f"{url.scheme}://{url.netloc}" == s3
        assert url.path == f"/{BUCKET}/{saved['name']}"
        assert "X-Amz-Signature=" in url.query
        # The bucket is private: without the signature, no one reads the file.
        assert request(url.port, "GET", url.path, host=url.netloc)[0] == 403
        assert status == 200
        assert served == content
    assert not (path / "media").exists()
