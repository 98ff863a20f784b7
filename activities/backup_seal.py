"""Token files in a backup, sealed with a passphrase: scrypt derives the key, AES-256-GCM
encrypts and authenticates (`cryptography`). A wrong passphrase fails the GCM tag."""

from __future__ import annotations

import os

from activities.backup_db import BackupError

SECRETS = "secrets/tokens.tar.sealed"

_SEAL_MAGIC = b"MLSEAL1\n"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def _key(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, **_SCRYPT).derive(passphrase.encode())


def seal(data: bytes, passphrase: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not passphrase:
        raise BackupError("--with-secrets needs a passphrase")
    salt, nonce = os.urandom(16), os.urandom(12)
    return _SEAL_MAGIC + salt + nonce + AESGCM(_key(passphrase, salt)).encrypt(
        nonce, data, _SEAL_MAGIC)


def unseal(blob: bytes, passphrase: str) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(_SEAL_MAGIC):
        raise BackupError(f"{SECRETS}: not a sealed token file")
    head = len(_SEAL_MAGIC)
    salt, nonce, body = blob[head:head + 16], blob[head + 16:head + 28], blob[head + 28:]
    try:
        return AESGCM(_key(passphrase, salt)).decrypt(nonce, body, _SEAL_MAGIC)
    except InvalidTag:
        raise BackupError(f"{SECRETS}: wrong passphrase (or the file was altered)") from None




# The manifest's MAC: an archive anyone can build verifies against its own hash list, so with
# a passphrase the list itself is signed (HMAC-SHA256 under a scrypt key of the passphrase).
MANIFEST_MAC = "manifest.mac"


def sign_manifest(manifest: bytes, passphrase: str) -> bytes:
    import hashlib
    import hmac
    import json

    salt = os.urandom(16)
    mac = hmac.new(_key(passphrase, salt), manifest, hashlib.sha256).hexdigest()
    return json.dumps({"kdf": "scrypt", "salt": salt.hex(), "hmac_sha256": mac}).encode()


def check_manifest(manifest: bytes, signed: bytes | None, passphrase: str, shown: str) -> None:
    """Raise BackupError unless `signed` is the manifest's MAC under this passphrase."""
    import hashlib
    import hmac
    import json

    if signed is None:
        raise BackupError(f"{shown}: {MANIFEST_MAC}: missing: the archive was written without a"
                          " backup passphrase, so nothing proves who wrote it; unset the"
                          " passphrase to restore it unchecked")
    try:
        data = json.loads(signed)
        salt, mac = bytes.fromhex(data["salt"]), str(data["hmac_sha256"])
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{shown}: {MANIFEST_MAC}: not a monolathe manifest MAC") from None
    expected = hmac.new(_key(passphrase, salt), manifest, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        raise BackupError(f"{shown}: {MANIFEST_MAC}: does not match (wrong passphrase, or the"
                          " archive was altered)")
