"""Events of an account's life that apps above accounts answer.

- `account_files(user)`: sent by `accounts.services.account_delete` before the account's rows go.
  Each receiver answers `(public names, private names)`: the stored files its own rows for this
  person point at (posts answer for renditions, covers and originals), which are deleted after the
  commit. Accounts sits below posts and never imports it; the apps that keep files for a person
  connect here in their `ready()`.
"""

from django.dispatch import Signal

account_files = Signal()
