"""CPU per password hash: Django's Argon2PasswordHasher defaults vs the OWASP argon2id profile (issue 19).

    .venv/bin/python bench/password_hashing.py [--rounds 20]

Each sign-up hashes once and each sign-in verifies once (same cost), in the app server's request.
CPU seconds come from getrusage (this process, all its threads: argon2 runs one thread per lane), so
the figure holds on a shared host; wall time is printed beside it. Writes bench/results/password_hashing.json.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import Argon2PasswordHasher  # noqa: E402

from atelier.accounts.hashers import OwaspArgon2idPasswordHasher  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(hasher, rounds: int) -> dict:
    hasher.encode("warm-up password 1", hasher.salt())
    cpu0, wall0 = cpu(), time.perf_counter()
    for n in range(rounds):
        encoded = hasher.encode(f"a long surge password {n}", hasher.salt())
    cpu1, wall1 = cpu(), time.perf_counter()
    for _ in range(rounds):
        if not hasher.verify(f"a long surge password {rounds - 1}", encoded):
            raise SystemExit("the hash does not verify its own password")
    cpu2 = cpu()
    params = hasher.params()
    return {
        "profile": f"argon2id m={params.memory_cost} KiB, t={params.time_cost}, p={params.parallelism}",
        "hash_cpu_ms": round(1000 * (cpu1 - cpu0) / rounds, 1),
        "hash_wall_ms": round(1000 * (wall1 - wall0) / rounds, 1),
        "verify_cpu_ms": round(1000 * (cpu2 - cpu1) / rounds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    report = {
        "before_django_default": measure(Argon2PasswordHasher(), args.rounds),
        "after_owasp": measure(OwaspArgon2idPasswordHasher(), args.rounds),
        "rounds": args.rounds,
        "loadavg": os.getloadavg(),
        "cores": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (ROOT / "bench" / "results" / "password_hashing.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
