"""The client address comes from REMOTE_ADDR, or from X-Forwarded-For behind trusted proxies."""

from django.test import RequestFactory, override_settings

from perception.lib.client import client_address


def request(forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    """Anyone can send X-Forwarded-For; with no proxy it must not choose the address."""
    assert client_address(request("198.51.100.7")) == "10.0.0.1"


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_one_trusted_proxy_gives_the_rightmost_forwarded_address():
    assert client_address(request("1.2.3.4, 198.51.100.7")) == "198.51.100.7"


@override_settings(TRUSTED_PROXY_HOPS=2)
def test_two_trusted_proxies_give_the_second_address_from_the_right():
    assert client_address(request("1.2.3.4, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"


@override_settings(TRUSTED_PROXY_HOPS=2)
def test_a_shorter_header_than_expected_gives_its_leftmost_entry():
    assert client_address(request("198.51.100.7")) == "198.51.100.7"


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_without_the_header_remote_addr_is_used():
    assert client_address(request()) == "10.0.0.1"
    assert client_address(request(" , ")) == "10.0.0.1"
