"""A key that cannot be sent is refused before any request, saying what is wrong with it and
never what it is."""

from __future__ import annotations

import httpx
import pytest

from tests.client.conftest import KEY, ScriptedServer
from videosync.api.client import VisionClient, check_api_key
from videosync.api.sync import SyncVisionClient
from videosync.commands.plan import require_api_key
from videosync.errors import ExitCode, InvalidApiKey


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (f"{KEY}\r", "contains a control character (a carriage return)"),
        (f"{KEY}\r\n", "contains a control character (a carriage return)"),
        (f"{KEY}\n", "contains a control character (a line break)"),
        (f"\t{KEY}", "contains a control character (a tab)"),
        (f"{KEY}\x7f", "contains a control character"),
        (f"{KEY}\x85", "contains a control character"),
        (f" {KEY}", "begins or ends with a space"),
        (f"{KEY}  ", "begins or ends with a space"),
        (f"{KEY[:6]} {KEY[6:]}", "contains a space"),
        (
            f"{KEY}\u00a0",
            "contains a character that is not ASCII (an accented letter, a curly quote or an "
            "invisible space, pasted with it?)",
        ),
        (f"\u2018{KEY}\u2019", "contains a character that is not ASCII"),
        (f"\ufeff{KEY}", "contains a character that is not ASCII"),
    ],
)
def test_a_malformed_key_is_refused_with_what_is_wrong_never_the_key(
    key: str, message: str
) -> None:
    with pytest.raises(InvalidApiKey) as caught:
        check_api_key(key)
    assert str(caught.value).startswith(f"the API key {message}")
    assert str(caught.value).endswith(": set it without one")
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value.args)


def test_the_client_refuses_a_malformed_key_before_any_request() -> None:
    server = ScriptedServer([httpx.Response(200, json={"results": []})])
    with pytest.raises(InvalidApiKey, match=r"^the API key contains a control character"):
        SyncVisionClient(
            "https://vision.test", f"{KEY}\r", transport=httpx.MockTransport(server.handle)
        )
    with pytest.raises(InvalidApiKey, match="begins or ends with a space"):
        VisionClient("https://vision.test", f"{KEY} ")
    assert server.requests == []


def test_require_api_key_checks_the_key_as_the_client_does() -> None:
    assert require_api_key(KEY) == KEY
    with pytest.raises(InvalidApiKey, match=r"contains a control character \(a line break\)"):
        require_api_key(f"{KEY}\n")


def test_a_well_formed_key_passes() -> None:
    for key in (KEY, "abc", "k-_.~+/=:!#$%&*@^|", "Bearer-like.JWT.parts"):
        check_api_key(key)
