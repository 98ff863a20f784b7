"""What the API and the workers promise an operator, one file a promise (docs/operations.md,
"Threat model", says who each one stops):

    test_secrets_redacted.py      no token or key in an error message, log line or sidecar
    test_no_tokens_in_history.py  no token in any Temporal history
    test_private_files.py         databases, logs and backups 0600 in 0700 folders; the
                                  ledger's password never on a command line
    test_codec.py                 payloads encrypted at rest; the codec server asks a token
    test_api_host.py              the API answers only its own host names (DNS rebinding)
    test_api_csrf.py              no state change from another site through the cookie
    test_api_bodies.py            auth before the body; bodies and fields bounded
    test_channel_names.py         a channel name is never a path
    test_key_names.py             a channel file cannot pick another provider's key; no
                                  YAML aliases in channel files
    test_feed_fetch.py            feeds bounded in time and size; no redirect into the
                                  operator's network; feed YAML plain and not echoed
    test_restore_targets.py       restore writes only where the config in force says; a
                                  signed manifest when the backup passphrase is set
"""
