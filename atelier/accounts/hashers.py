"""How passwords are hashed: argon2id at OWASP's first recommended profile.

Django's own Argon2PasswordHasher (m=100 MiB, t=2, p=8) cost ~0.3 CPU-seconds per sign-up or sign-in
on the 2-core box (bench/results/surge.json), so a wave of newcomers spent the app servers' CPU on
hashing while people waited for pages. The OWASP Password Storage Cheat Sheet lists equivalent
argon2id profiles trading memory for passes; its first, m=19 MiB (19,456 KiB), t=2, p=1, costs an
attacker as much per guess as the others and a single thread here (~a tenth of the CPU).

The algorithm name stays Django's "argon2", so hashes stored with the old parameters are still
recognised by this class: `must_update` sees their parameters differ and Django re-hashes the password
at the next successful sign-in. Django's Argon2PasswordHasher must therefore not be listed in
PASSWORD_HASHERS beside this one — Django keeps one hasher per algorithm name, the last listed.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2idPasswordHasher(Argon2PasswordHasher):
    """argon2id, m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet, first argon2id profile)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
