from django.contrib.auth.hashers import Argon2PasswordHasher


class FastTestArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 as in production, at a tiny cost: the test settings use it (tests/ is not shipped code)."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
