"""Values kept encrypted at rest (Fernet, key INVITATION_ADDRESS_KEY from the
environment): the addresses and links of invitations while their wave is open.

A database copy alone gives neither; the cron command erases both when a wave closes.
"""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class Unreadable(Exception):
    """The value was sealed with another key, or is damaged."""


def _fernet() -> Fernet:
    return Fernet(settings.INVITATION_ADDRESS_KEY.encode())


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("This value was sealed with another INVITATION_ADDRESS_KEY.") from None
